/**
 * Wraps any CheckpointStore (the SQLite one, typically) so that every method call ticks a CrashSwitch first: the
 * same crash-at-every-operation replay the in-memory store supports, against the real store.
 */
import type { CheckpointStore } from '../../src/core/checkpoint.js';
import type { CrashSwitch } from './memory-crash.js';

export function crashingStore<S extends CheckpointStore>(store: S, crash: CrashSwitch): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return v;
      return (...args: unknown[]) => {
        crash.tick(`store.${String(prop)}`);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
