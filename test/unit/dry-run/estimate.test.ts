import { describe, expect, it } from 'vitest';
import { estimateStream, objectWriteRequests, rampSeconds, scanReadUnits, type EstimateInput } from '../../../src/dry-run/estimate.js';
import { loadPriceTable } from '../../../src/dry-run/prices.js';
import type { Plan } from '../../../src/plan/types.js';

const prices = loadPriceTable();

function plan(source: Plan['source'], target: Plan['target'], limits: Plan['limits'] = {}): Plan {
  return { version: 1, kind: 'migration', name: 'p', source, target, streams: [{ from: 'x' }], limits };
}

function input(p: Plan, over: Partial<EstimateInput>): EstimateInput {
  return { plan: p, count: 0, sourceBytes: 0, targetBytes: 0, targetUnits: {}, prices, ...over };
}

const line = (e: ReturnType<typeof estimateStream>, what: RegExp) => e.cost.find((c) => what.test(c.what));

describe('estimateStream', () => {
  it('PostgreSQL → DynamoDB on demand: WRU priced per million, the pace set by the plan\'s wcu', () => {
    const p = plan({ type: 'postgres' }, { type: 'dynamodb', region: 'us-east-1' }, { wcu: 500 });
    // 15,607 items, 1.2 WCU each on average (from the samples).
    const e = estimateStream(input(p, { count: 15_607, sourceBytes: 2_000_000, targetBytes: 3_000_000, targetUnits: { wcu: 18_728.4 } }));
    expect(e.durationS).toBeCloseTo(18_728.4 / 500, 6);
    expect(e.limitedBy).toBe('target units: plan limit wcu 500/s');
    const w = line(e, /on-demand writes/)!;
    expect(w).toMatchObject({ quantity: 18_728.4, unit: 'WRU', unitPrice: 0.625, per: 1_000_000 });
    expect(w.amount).toBeCloseTo((18_728.4 * 0.625) / 1e6, 10);
    // PostgreSQL's cloud is unknown: no transfer line is made up.
    expect(e.cost).toHaveLength(1);
    expect(e.units).toMatchObject({ items: 15_607, wcu: 18_728.4 });
  });

  it('a backup of records to S3: one PUT per read batch plus the manifest, not one per record', () => {
    const p: Plan = { ...plan({ type: 'postgres' }, { type: 's3', bucket: 'b' }, { batch_size: 1000 }), kind: 'backup' };
    const e = estimateStream(input(p, { count: 3_503, sourceBytes: 600_000, targetBytes: 600_000 }));
    expect(line(e, /uploads/)).toMatchObject({ quantity: 5 });
    expect(e.units['target_uploads']).toBe(5);
    expect(line(e, /HEAD/)).toBeUndefined();
  });

  it('without a plan limit the pace is the slowest of the on-demand start rate, the process and the network, each named', () => {
    const p = plan({ type: 'postgres' }, { type: 'dynamodb' });
    const small = estimateStream(input(p, { count: 100_000, sourceBytes: 1e6, targetBytes: 1e6, targetUnits: { wcu: 100_000 } }));
    // 4,000 WRU/s for a new on-demand table is slower than the assumed 5,000 items/s of one process.
    expect(small.durationS).toBeCloseTo(25, 6);
    expect(small.limitedBy).toMatch(/on-demand table starts at 4,000 WRU\/s/);
    const big = estimateStream(input(p, { count: 1000, sourceBytes: 50e9, targetBytes: 50e9, targetUnits: { wcu: 1000 } }));
    expect(big.limitedBy).toBe('network: assumed 100 MB/s');
    expect(big.durationS).toBeCloseTo(500, 6);
    const slowNet = estimateStream({ ...input(p, { count: 1000, sourceBytes: 50e9, targetBytes: 50e9, targetUnits: { wcu: 1000 } }), bandwidth: 10e6 });
    expect(slowNet.durationS).toBeCloseTo(5000, 6);
    const many = estimateStream(input(plan({ type: 'postgres' }, { type: 'firestore' }), { count: 10_000, targetUnits: { writes: 10_000 } }));
    expect(many.limitedBy).toMatch(/assumed 1,000 documents\/s .*a guess/);
    expect(many.durationS).toBeCloseTo(10, 6);
  });

  it('provisioned DynamoDB: capacity-hours for the hours the run lasts, paced by the write capacity', () => {
    const p = plan({ type: 'postgres' }, { type: 'dynamodb', billing: 'provisioned', capacity: { read: 10, write: 100 } });
    const e = estimateStream(input(p, { count: 720_000, targetUnits: { wcu: 720_000 } }));
    expect(e.durationS).toBeCloseTo(7200, 6);
    expect(e.limitedBy).toBe('target units: provisioned write capacity 100 WCU/s');
    expect(line(e, /write capacity/)).toMatchObject({ quantity: 200, unit: 'WCU-hour', unitPrice: 0.00065 });
    expect(line(e, /read capacity/)).toMatchObject({ quantity: 20, unit: 'RCU-hour' });
    // An existing table's own billing (from inspection) wins over the plan's.
    const onDemand = estimateStream(input(p, { count: 10, targetUnits: { wcu: 10 }, capacity: { mode: 'on_demand' } }));
    expect(line(onDemand, /on-demand writes/)).toBeDefined();
  });

  it('DynamoDB → Firestore: scan read units, paced by rcu_per_second; Firestore writes; egress out of AWS', () => {
    const p = plan({ type: 'dynamodb', rcu_per_second: 100 }, { type: 'firestore' });
    const bytes = 4096 * 100_000; // 400 MB
    const e = estimateStream(input(p, { count: 200_000, sourceBytes: bytes, targetBytes: bytes, targetUnits: { writes: 200_000 } }));
    expect(scanReadUnits(bytes, false)).toBe(50_000);
    expect(e.durationS).toBeCloseTo(500, 6);
    expect(e.limitedBy).toBe('source reads: rcu_per_second 100');
    expect(line(e, /scan of the source/)).toMatchObject({ quantity: 50_000, unit: 'RRU', unitPrice: 0.125 });
    expect(line(e, /Firestore document writes/)).toMatchObject({ quantity: 200_000, unitPrice: 0.09, per: 100_000 });
    const egress = line(e, /data transfer out of AWS to Google Cloud/)!;
    expect(egress.unitPrice).toBe(0.09);
    expect(egress.quantity).toBeCloseTo(bytes / 1024 ** 3, 2);
    expect(e.units['source_rcu']).toBe(50_000);
  });

  it('Firestore ramp-up: 500 writes/s for 5 minutes, then +50% each 5 minutes', () => {
    expect(rampSeconds(150_000)).toBeCloseTo(300, 6);
    expect(rampSeconds(150_000 + 225_000)).toBeCloseTo(600, 6);
    expect(rampSeconds(1000)).toBeCloseTo(2, 6);
    // Capped by a slower steady limit: 100/s throughout.
    expect(rampSeconds(60_000, 100)).toBeCloseTo(600, 6);
    const p = plan({ type: 'postgres' }, { type: 'firestore' }, { ramp_up: true });
    const e = estimateStream(input(p, { count: 375_000, targetUnits: { writes: 375_000 } }));
    expect(e.durationS).toBeCloseTo(600, 6);
    expect(e.limitedBy).toMatch(/ramp-up 500\/50\/5/);
  });

  it('objects: uploads by size class (multipart = initiate + parts + complete), listings, GETs, and the egress between clouds', () => {
    const MiB = 1024 * 1024;
    const sizes = [
      { upTo: 1024, count: 90, bytes: 90 * 500 },
      { upTo: 32 * MiB, count: 10, bytes: 10 * 20 * MiB },
    ];
    expect(objectWriteRequests(100, 0, sizes, 8 * MiB)).toEqual({ uploads: 90 + 10 * (3 + 2), lists: 2, heads: 4 });
    const p = plan({ type: 's3', region: 'us-east-1' }, { type: 'gcs' }, { requests_per_second: 10 });
    const bytes = 90 * 500 + 10 * 20 * MiB;
    const e = estimateStream(input(p, { count: 100, sourceBytes: bytes, targetBytes: bytes, targetUnits: { requests: 100 }, sizes }));
    expect(e.limitedBy).toBe('target units: plan limit requests_per_second 10/s');
    expect(e.durationS).toBeCloseTo(10, 6);
    expect(line(e, /Cloud Storage uploads/)).toMatchObject({ quantity: 140, unitPrice: 0.005, per: 1000 });
    expect(line(e, /S3 GET requests/)).toMatchObject({ quantity: 100, unitPrice: 0.0004 });
    expect(line(e, /S3 listings of the source/)).toMatchObject({ quantity: 1, unitPrice: 0.005 });
    expect(line(e, /data transfer out of AWS to Google Cloud/)!.quantity).toBeCloseTo(bytes / 1024 ** 3, 2);
    // Same cloud, different AWS regions: inter-region transfer instead of internet egress.
    const s3s3 = estimateStream(input(plan({ type: 's3', region: 'us-east-1' }, { type: 's3', region: 'eu-west-1' }), { count: 1, sourceBytes: 1024 ** 3, targetBytes: 1024 ** 3 }));
    expect(line(s3s3, /from AWS us-east-1 to eu-west-1/)).toMatchObject({ quantity: 1, unitPrice: 0.02 });
  });

  it('items_per_second and bytes_per_second limits pace by items and target bytes; nothing to move takes no time', () => {
    const p = plan({ type: 'postgres' }, { type: 'dynamodb' }, { items_per_second: 10, bytes_per_second: 1000 });
    const e = estimateStream(input(p, { count: 100, targetBytes: 50_000, targetUnits: { wcu: 100 } }));
    expect(e.durationS).toBeCloseTo(50, 6);
    expect(e.limitedBy).toBe('target units: plan limit bytes_per_second 1,000/s');
    const none = estimateStream(input(p, { count: 0 }));
    expect(none).toMatchObject({ durationS: 0, limitedBy: 'nothing to move' });
  });
});
