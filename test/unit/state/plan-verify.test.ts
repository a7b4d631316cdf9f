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

  it('are stored per run and read back by plan or by run, oldest first', () => {
    const store = openStateStore(join(dir, 'ferry.db'));
    const a = { runId: store.newPlanVerifyRunId(), planName: 'p', planHash: 'sha256:1', planPath: '/plans/p.yaml' };
    const b = { runId: store.newPlanVerifyRunId(), planName: 'p', planHash: 'sha256:2' };
    expect(a.runId).toMatch(/^vr-\d{8}-\d{6}-[0-9a-f]{6}$/);
    store.savePlanVerifyResult(a, { stream: 's', verifier: 'count', outcome: 'match', report: { n: 1 } });
    store.savePlanVerifyResult(a, { stream: 's', verifier: 'checksum', outcome: 'differ', report: { changed: ['id=1'] } });
    store.savePlanVerifyResult(b, { stream: 's', verifier: 'count', outcome: 'match', report: {} });
    store.savePlanVerifyResult({ ...b, planName: 'other' }, { stream: 't', verifier: 'count', outcome: 'match', report: {} });
    const rows = store.planVerifyResults({ planName: 'p' });
    expect(rows.map((r) => [r.runId, r.verifier, r.outcome])).toEqual([
      [a.runId, 'count', 'match'],
      [a.runId, 'checksum', 'differ'],
      [b.runId, 'count', 'match'],
    ]);
    expect(rows[1]).toMatchObject({ planName: 'p', planHash: 'sha256:1', planPath: '/plans/p.yaml', stream: 's', report: { changed: ['id=1'] } });
    expect(rows[2]!.planPath).toBeUndefined();
    expect(store.planVerifyResults({ runId: b.runId })).toHaveLength(2);
    expect(store.planVerifyResults()).toHaveLength(4);
    store.close();
  });

  it('come with migration 3, applied over a version-2 database', () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    migrate(db, path, MIGRATIONS.filter((m) => m.version <= 2));
    db.close();
    const store = openStateStore(path);
    expect(store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    store.savePlanVerifyResult({ runId: 'vr-x', planName: 'p', planHash: 'h' }, { stream: 's', verifier: 'count', outcome: 'match', report: {} });
    expect(store.planVerifyResults({ runId: 'vr-x' })).toHaveLength(1);
    store.close();
  });
});
