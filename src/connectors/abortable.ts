/**
 * `p`, or the caller's error as soon as `signal` aborts: for SDK calls that take no signal (Cloud Storage, Firestore's
 * getAll) or whose own abort must surface as the connector's error. The call itself runs on; its late answer or
 * failure is dropped (handled, so never an unhandled rejection).
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
