import { describe, expect, it } from 'vitest';
import type { FerryRecord } from '../../../src/core/record.js';
import type { Sink } from '../../../src/core/sink.js';
import { runJob } from '../../../src/engine/index.js';
import { FerryError } from '../../../src/errors.js';
import { memoryPlan, MemoryWorld } from '../../support/memory-world.js';

const instant = { sleep: async () => {}, backoff: { random: () => 0 } };

describe('sink.toTarget in the record pipeline', () => {
  it('runs after the field map; what it returns is written, what it refuses becomes a dead letter with the source key', async () => {
    const world = new MemoryWorld({ s: { count: 20 } });
    const p = world.process();
    // The target keys items by `pk` and cannot hold record 13.
    (p.sink as Sink<FerryRecord>).toTarget = (_stream, r: FerryRecord) => {
      const v = r.value as { ident: number; name: string };
      if (v.ident === 13) throw new FerryError('ITEM_REJECTED', 'number 13 is not allowed here');
      return { key: { pk: `ITEM#${v.ident}` }, value: { pk: `ITEM#${v.ident}`, ...v } };
    };
    const summary = await runJob({
      plan: memoryPlan([{ from: 's', map: { rename: { id: 'ident' } } }], { batch_size: 7 }, { max_rejected: 1 }),
      ...p,
      ...instant,
    });
    expect(summary).toMatchObject({ status: 'succeeded', items: 19, rejected: 1 });
    const rows = world.sinkData.rows('s');
    expect(rows.size).toBe(19);
    expect(rows.get('pk=ITEM#5')).toEqual({ pk: 'ITEM#5', ident: 5, name: 'r5' });
    expect(await p.store.deadLetters(p.job.id)).toEqual([expect.objectContaining({ key: 'id=13', reason: expect.stringContaining('number 13 is not allowed') })]);
  });
});
