/**
 * Runs tasks with at most `concurrency` at once, starting the next only while `shouldStart()` holds, and settles
 * only when every started task has settled: the runner never returns while a segment is still writing.
 */
export async function runPool<T, R>(
  tasks: readonly T[],
  concurrency: number,
  run: (task: T) => Promise<R>,
  shouldStart: () => boolean,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length && shouldStart()) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await run(tasks[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  const n = Math.max(1, Math.min(Math.floor(concurrency), tasks.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results.filter((r) => r !== undefined);
}
