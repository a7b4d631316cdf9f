import { setMaxListeners } from 'node:events';

/**
 * A child AbortController that also aborts when its parent does, with an explicit dispose that removes the
 * listener. (AbortSignal.any would do, but its listeners on a long-lived parent are only freed by GC; the engine
 * makes one child per batch on signals that live for the whole job.)
 */
export interface LinkedAbort {
  controller: AbortController;
  signal: AbortSignal;
  abort(reason?: unknown): void;
  dispose(): void;
}

export function linkedAbort(...parents: (AbortSignal | undefined)[]): LinkedAbort {
  const controller = new AbortController();
  // Every concurrent write, wait and read listens on the job's signals at once; dozens are normal, not a leak.
  setMaxListeners(0, controller.signal);
  const cleanups: (() => void)[] = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = (): void => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => parent.removeEventListener('abort', onAbort));
  }
  return {
    controller,
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => {
      for (const c of cleanups.splice(0)) c();
    },
  };
}
