// SQLite, the embedded default: two connections to one file stand for two processes of the same host.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../../src/state/index.js';
import { checkpointStoreContract } from './checkpoint-store.js';
import { scheduleSlotsContract } from './schedule-slots.js';

checkpointStoreContract('sqlite', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-contract-')), 'ferry.db');
  let t = Date.parse('2026-11-28T07:36:12.000Z');
  return {
    // Every pid is alive: a holder is presumed dead only when its lease expires, as on another machine.
    open: (pid = 1111) => openStateStore(file, { now: () => t, pid, host: 'contract-host', isProcessAlive: () => true }),
    advance: (ms) => void (t += ms),
    now: () => t,
  };
});

scheduleSlotsContract('sqlite', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-slots-')), 'ferry.db');
  let t = Date.parse('2026-12-08T02:00:05.000Z');
  return {
    open: () => {
      const store = openStateStore(file, { now: () => t });
      return { slots: store.scheduleSlots(), close: () => store.close() };
    },
    advance: (ms) => void (t += ms),
  };
});
