import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, migrate, MIGRATIONS, openStateStore } from '../../../src/state/index.js';
import { tempDir } from './helpers.js';

describe('plan verify results (ferry verify PLAN, no job)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('are stored per run and read back by plan or by run, oldest first', async () => {
    const store = openStateStore(join(dir, 'ferry.db'));
    const a = { runId: await store.newPlanVerifyRunId(), planName: 'p', planHash: 'sha256:1', planPath: '/plans/p.yaml' };
    const b = { runId: await store.newPlanVerifyRunId(), planName: 'p', planHash: 'sha256:2' };
    expect(a.runId).toMatch(/^vr-\d{8}-\d{6}-[0-9a-f]{6}$/);
    await store.savePlanVerifyResult(a, { stream: 's', verifier: 'count', outcome: 'match', report: { n: 1 } });
    await store.savePlanVerifyResult(a, { stream: 's', verifier: 'checksum', outcome: 'differ', report: { changed: ['id=1'] } });
    await store.savePlanVerifyResult(b, { stream: 's', verifier: 'count', outcome: 'match', report: {} });
    await store.savePlanVerifyResult({ ...b, planName: 'other' }, { stream: 't', verifier: 'count', outcome: 'match', report: {} });
    const rows = await store.planVerifyResults({ planName: 'p' });
    expect(rows.map((r) => [r.runId, r.verifier, r.outcome])).toEqual([
      [a.runId, 'count', 'match'],
      [a.runId, 'checksum', 'differ'],
      [b.runId, 'count', 'match'],
    ]);
    expect(rows[1]).toMatchObject({ planName: 'p', planHash: 'sha256:1', planPath: '/plans/p.yaml', stream: 's', report: { changed: ['id=1'] } });
    expect(rows[2]!.planPath).toBeUndefined();
    expect(await store.planVerifyResults({ runId: b.runId })).toHaveLength(2);
    expect(await store.planVerifyResults()).toHaveLength(4);
    await store.close();
  });

  it('come with migration 3, applied over a version-2 database', async () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    migrate(db, path, MIGRATIONS.filter((m) => m.version <= 2));
    db.close();
    const store = openStateStore(path);
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await store.savePlanVerifyResult({ runId: 'vr-x', planName: 'p', planHash: 'h' }, { stream: 's', verifier: 'count', outcome: 'match', report: {} });
    expect(await store.planVerifyResults({ runId: 'vr-x' })).toHaveLength(1);
    await store.close();
  });
});
