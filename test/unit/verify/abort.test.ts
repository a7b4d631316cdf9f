import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/errors.js';
import { DocSource } from '../../support/doc-source.js';
import { verifyRun } from '../../support/verify-helpers.js';

describe('aborting verification', () => {
  it('stops reading both sides and rejects INTERRUPTED', async () => {
    const ac = new AbortController();
    let batches = 0;
    const source = new DocSource({
      streams: { s: { count: 100_000 } },
      beforeBatch: () => {
        batches += 1;
        if (batches === 20) ac.abort();
      },
    });
    const target = new DocSource({ streams: { s: { count: 100_000 } } });
    const err = await verifyRun({ source, target, signal: ac.signal, verify: ['count', 'checksum'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('INTERRUPTED');
    // The count came from count(); the checksum stopped within a few batches of the abort, on both sides.
    expect(source.batches).toBeLessThan(30);
    expect(target.yielded).toBeLessThan(100_000);
  });

  it('sees an abort from a timer even when the sources never wait (CPU-bound reads yield now and then)', async () => {
    const ac = new AbortController();
    const source = new DocSource({ streams: { s: { count: 2_000_000 } } });
    const target = new DocSource({ streams: { s: { count: 2_000_000 } } });
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const err = await verifyRun({ source, target, signal: ac.signal }).catch((e: unknown) => e);
    expect((err as FerryError).code).toBe('INTERRUPTED');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(source.yielded).toBeLessThan(2_000_000);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const source = new DocSource({ streams: { s: { count: 10 } } });
    const err = await verifyRun({ source, target: source, signal: ac.signal }).catch((e: unknown) => e);
    expect((err as FerryError).code).toBe('INTERRUPTED');
    expect(source.batches).toBe(0);
  });
});
