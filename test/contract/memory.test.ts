// The in-memory store of the engine's unit tests keeps the same contract as the real backends.
import { MemoryCheckpointStore, MemoryStoreData } from '../support/memory-checkpoint-store.js';
import { checkpointStoreContract } from './checkpoint-store.js';

checkpointStoreContract('memory', () => {
  const data = new MemoryStoreData();
  let t = Date.parse('2026-11-28T07:36:12.000Z');
  return {
    open: (pid = 1111) => new MemoryCheckpointStore({ data, now: () => t, pid }),
    advance: (ms) => void (t += ms),
    now: () => t,
  };
});
