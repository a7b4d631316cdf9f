import { describe, expect, it } from 'vitest';
import { exitCodeFor, EXIT } from '../../../src/errors.js';
import { loadPlanFile, loadPlanText } from '../../../src/plan/index.js';
import { expectDiagnostics, fixture, planErrorOf } from './helpers.js';

const load = (name: string, env: Record<string, string> = {}) => planErrorOf(() => loadPlanFile(fixture(name), env));

describe('plan errors carry file:line:column, the key path and a friendly message', () => {
  it('bad YAML syntax', async () => {
    const e = await load('bad-syntax.yaml');
    expectDiagnostics(e.diagnostics, [{ line: 5, column: 1, path: '', message: 'YAML syntax: flow map in block collection must be sufficiently indented and end with a }' }]);
  });

  it('an empty file', async () => {
    const e = await load('empty.yaml');
    expectDiagnostics(e.diagnostics, [{ line: 1, column: 1, path: '', message: 'the plan is empty' }]);
  });

  it('a list instead of a mapping at top level', async () => {
    const e = await load('top-level-list.yaml');
    expectDiagnostics(e.diagnostics, [{ line: 1, column: 1, path: '', message: 'a plan must be a mapping of keys (version, kind, name, source, target, streams...), got a list' }]);
  });

  it('unknown keys, with "did you mean"', async () => {
    const e = await load('unknown-key.yaml');
    expectDiagnostics(e.diagnostics, [
      { line: 13, column: 7, path: 'streams[0].map.renam', message: 'unknown key; did you mean "rename"?' },
      { line: 14, column: 1, path: 'limit', message: 'unknown key; did you mean "limits"?' },
    ]);
  });

  it('a missing source', async () => {
    const e = await load('missing-source.yaml');
    expectDiagnostics(e.diagnostics, [{ line: 1, column: 1, path: 'source', message: 'required key missing' }]);
    expect(e.format()).toBe(`${fixture('missing-source.yaml')}:1:1: source: required key missing`);
  });

  it('an unknown connector type', async () => {
    const e = await load('unknown-type.yaml');
    expectDiagnostics(e.diagnostics, [
      {
        line: 5,
        column: 9,
        path: 'source.type',
        message: 'unknown connector type "postgress"; did you mean "postgres"? known types: postgres, dynamodb, firestore, cosmos, s3, gcs, azure-blob',
      },
    ]);
  });

  it('unset ${env:...} references, whole and inside a larger string', async () => {
    const e = await load('unset-env.yaml');
    expectDiagnostics(e.diagnostics, [
      { line: 6, column: 8, path: 'source.url', message: 'environment variable FERRY_TEST_UNSET_PGURL is not set' },
      { line: 9, column: 13, path: 'target.endpoint', message: 'environment variable FERRY_TEST_UNSET_HOST is not set' },
    ]);
  });

  it('negative and non-numeric limits', async () => {
    const e = await load('bad-limits.yaml');
    expectDiagnostics(e.diagnostics, [
      { line: 11, column: 8, path: 'limits.wcu', message: 'must be a positive number, got -5' },
      { line: 12, column: 16, path: 'limits.concurrency', message: 'must be a positive whole number, got "fast"' },
      { line: 13, column: 15, path: 'limits.batch_size', message: 'must be a whole number from 1 to 100000, got 2.5' },
    ]);
  });

  it('duplicate keys', async () => {
    const e = await load('duplicate-key.yaml');
    expectDiagnostics(e.diagnostics, [{ line: 9, column: 3, path: 'target.region', message: 'duplicate key' }]);
  });

  it('a wrong version', async () => {
    const e = await load('wrong-version.yaml');
    expectDiagnostics(e.diagnostics, [{ line: 1, column: 10, path: 'version', message: 'must be 1 (the only plan version this ferry reads), got 2' }]);
  });

  it('keys of another store, and a rate limit in another store\'s unit', async () => {
    const e = await load('wrong-store-keys.yaml');
    expectDiagnostics(e.diagnostics, [
      { line: 7, column: 3, path: 'source.bucket', message: 'unknown key for dynamodb (s3 and gcs take it); known keys: type, region,' },
      { line: 14, column: 5, path: 'streams[0].key', message: 'unknown key for a dynamodb → firestore stream (dynamodb as a target takes it)' },
      { line: 16, column: 3, path: 'limits.wcu', message: 'a dynamodb unit, but the target is firestore; use items_per_second, bytes_per_second, writes_per_second' },
    ]);
  });

  it('a migration between a document store and an object store', async () => {
    const e = await load('mixed-kinds.yaml');
    expectDiagnostics(e.diagnostics, [{ line: 7, column: 9, path: 'target.type', message: 'a migration from a document store (postgres) needs a document store as target, not s3' }]);
  });

  it('backups and restores: the stores each end needs, their own blocks, and a retention that keeps something', async () => {
    const src = 'source: { type: postgres, url: "postgres://u@h/db" }';
    const s3 = '{ type: s3, bucket: bk-1 }';
    let e = await planErrorOf(() => loadPlanText(`version: 1\nkind: backup\nname: t\n${src}\ntarget: { type: dynamodb }\nstreams: [{ from: public.* }]\n`, 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 5, column: 17, path: 'target.type', message: 'a backup is written to an object store (s3, gcs, azure-blob), not dynamodb' }]);
    // A bucket prefix backed up as a dated snapshot, and restored into another store.
    expect(loadPlanText(`version: 1\nkind: backup\nname: t\nsource: ${s3}\ntarget: { type: gcs, bucket: b }\nstreams: [{ from: x/ }]\n`, 'p.yaml', {}).plan.kind).toBe('backup');
    expect(loadPlanText(`version: 1\nkind: restore\nname: t\nsource: { type: gcs, bucket: b }\nrestore: { plan: t }\ntarget: ${s3}\nstreams: [{ from: x/ }]\n`, 'p.yaml', {}).plan.kind).toBe('restore');
    e = await planErrorOf(() =>
      loadPlanText(`version: 1\nkind: backup\nname: t\n${src}\ntarget: ${s3}\nbackup: { format: dynamodb, part_size_mb: 0 }\nretention: { keep_daily: 0, min_age: 3days }\nstreams: [{ from: public.* }]\n`, 'p.yaml', {}),
    );
    expectDiagnostics(e.diagnostics, [
      { line: 6, column: 19, path: 'backup.format', message: "format: dynamodb is the layout of a dynamodb source's own tools, not postgres's; use format: ferry" },
      { line: 6, column: 43, path: 'backup.part_size_mb', message: 'must be a whole number from 1 to 4096, got 0' },
      { line: 7, column: 38, path: 'retention.min_age', message: 'must be a duration: a number and a unit m, h, d or w (36h, 7d, 2w), got "3days"' },
    ]);
    e = await planErrorOf(() => loadPlanText(`version: 1\nkind: restore\nname: t\nsource: ${s3}\ntarget: { type: dynamodb }\nstreams: [{ from: public.* }]\n`, 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 1, column: 1, path: '', message: 'a restore needs `restore: { plan: <backup plan name> }`' }]);
    e = await planErrorOf(() => loadPlanText(`version: 1\nkind: migration\nname: t\n${src}\ntarget: { type: dynamodb }\nrestore: { plan: x }\nretention: { keep_last: 2 }\nstreams: [{ from: public.* }]\n`, 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [
      { line: 6, column: 1, path: 'restore', message: 'restore: applies to kind: restore, not migration' },
      { line: 7, column: 1, path: 'retention', message: 'retention: applies to kind: backup, not migration' },
    ]);
    const ok = loadPlanText(`version: 1\nkind: restore\nname: t\nsource: ${s3}\nrestore: { plan: nightly, set: latest }\ntarget: { type: dynamodb }\nstreams: [{ from: public.*, map: { exclude: [secret] } }]\n`, 'p.yaml', {});
    expect(ok.plan.restore).toEqual({ plan: 'nightly', set: 'latest' });
  });

  it('reports several problems at once, in file order, duplicate keys included', async () => {
    const e = await load('conflicting-options.yaml');
    expectDiagnostics(e.diagnostics, [
      { line: 4, column: 1, path: 'source', message: 'use either `url` or host/port/database/user/password, not both' },
      { line: 8, column: 1, path: 'target', message: 'needs `endpoint` (and `key`) or `connection_string`' },
      { line: 13, column: 17, path: 'verify[1]', message: 'got "checksumm"; did you mean "checksum"?' },
      { line: 14, column: 1, path: 'kind', message: 'duplicate key' },
      // The later `kind` is the one in effect, and is the one pointed at.
      { line: 14, column: 7, path: 'kind', message: 'must be one of migration, backup, restore, got "migrate"; did you mean "migration"?' },
    ]);
  });

  it('formats as FILE:LINE:COLUMN: path: message and exits with the usage code', async () => {
    const e = await load('unknown-key.yaml');
    expect(e.code).toBe('PLAN_INVALID');
    expect(exitCodeFor(e)).toBe(EXIT.USAGE);
    expect(e.format().split('\n')).toEqual([
      `${fixture('unknown-key.yaml')}:13:7: streams[0].map.renam: unknown key; did you mean "rename"?`,
      `${fixture('unknown-key.yaml')}:14:1: limit: unknown key; did you mean "limits"?`,
    ]);
    expect(e.message).toBe(e.format());
  });

  it('a file that cannot be read is a PlanError too, so `plan check` goes on with the next file', async () => {
    const e = await planErrorOf(() => loadPlanFile(fixture('does-not-exist.yaml')));
    expectDiagnostics(e.diagnostics, [{ line: 1, column: 1, path: '', message: 'cannot read the plan: no such file' }]);
  });
});

describe('more error shapes', () => {
  const base = (extra: string) => `version: 1\nkind: migration\nname: t\nsource: { type: gcs, bucket: acme-a }\n# the source above\ntarget:\n  type: s3\n  bucket: acme-backup\nstreams:\n  - from: Invoices\n${extra}`;

  it('several documents in one file', async () => {
    const e = await planErrorOf(() => loadPlanText('version: 1\n---\nkind: migration\n', 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 2, column: 1, path: '', message: 'a plan file holds one YAML document' }]);
  });

  it('tabs as indentation', async () => {
    const e = await planErrorOf(() => loadPlanText('version: 1\nsource:\n\ttype: s3\n', 'p.yaml', {}));
    expect(e.errors[0]).toMatchObject({ line: 3, column: 1, message: 'tabs are not allowed for indentation; use spaces' });
  });

  it('an alias without its anchor', async () => {
    const e = await planErrorOf(() => loadPlanText(base('limits: *pace\n'), 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 11, column: 9, path: '', message: 'alias *pace has no anchor &pace' }]);
  });

  it('a key with no value counts as missing, and says so where it is written', async () => {
    const e = await planErrorOf(() => loadPlanText('version: 1\nkind: backup\nname: t\nsource:\ntarget:\n  type: s3\n  bucket: b-1\nstreams: [{ from: x }]\n', 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 4, column: 1, path: 'source', message: 'required key has no value' }]);
  });

  it('a missing or wrongly typed connector type', async () => {
    const e = await planErrorOf(() =>
      loadPlanText('version: 1\nkind: backup\nname: t\nsource:\n  region: x\ntarget:\n  type: 7\nstreams: [{ from: x }]\n', 'p.yaml', {}),
    );
    expectDiagnostics(e.diagnostics, [
      { line: 4, column: 1, path: 'source.type', message: 'required key missing; known types: postgres, dynamodb' },
      { line: 7, column: 9, path: 'target.type', message: 'must be a connector type (a string); known types:' },
    ]);
  });

  it('wrong types inside streams, a bad enum, a stream without `from`, a bad sample size', async () => {
    const e = await planErrorOf(() =>
      loadPlanText(base('    segments: 0\n    write: upsrt\n    delete_extraneous: yes\n  - to: x\nverify: [{ sample: -1 }]\non_error: { max_rejected: -1 }\n'), 'p.yaml', {}),
    );
    expectDiagnostics(e.diagnostics, [
      { line: 11, column: 15, path: 'streams[0].segments', message: 'must be a positive whole number, got 0' },
      { line: 12, column: 12, path: 'streams[0].write', message: 'must be one of upsert, replace, insert, got "upsrt"; did you mean "upsert"?' },
      { line: 13, column: 24, path: 'streams[0].delete_extraneous', message: 'must be true or false, got "yes"' },
      { line: 14, column: 5, path: 'streams[1].from', message: 'required key missing' },
      { line: 15, column: 20, path: 'verify[0].sample', message: 'must be a positive whole number, got -1' },
      { line: 16, column: 27, path: 'on_error.max_rejected', message: 'must be a whole number ≥ 0, got -1' },
    ]);
  });

  it('`map` between object stores', async () => {
    const e = await planErrorOf(() =>
      loadPlanText(
        'version: 1\nkind: migration\nname: t\nsource: { type: s3, bucket: a-1 }\ntarget: { type: gcs, bucket: b }\nstreams:\n  - from: x/\n    map: { exclude: [a] }\n',
        'p.yaml',
        {},
      ),
    );
    expectDiagnostics(e.diagnostics, [{ line: 8, column: 5, path: 'streams[0].map', message: 'unknown key for a s3 → gcs stream (field mapping applies between document stores only)' }]);
  });

  it('a credential is never echoed back in a message', async () => {
    const e = await planErrorOf(() =>
      loadPlanText('version: 1\nkind: migration\nname: t\nsource: { type: postgres, password: 123456 }\ntarget: { type: dynamodb }\nstreams: [{ from: x }]\n', 'p.yaml', {}),
    );
    expectDiagnostics(e.diagnostics, [{ line: 4, column: 37, path: 'source.password', message: 'must be a non-empty string, got a number' }]);
    expect(e.format()).not.toContain('123456');
  });

  it('a malformed reference', async () => {
    const e = await planErrorOf(() => loadPlanText(base('    to: ${env:1BAD}\n'), 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 11, column: 9, path: 'streams[0].to', message: 'malformed reference "${env:1BAD}"' }]);
  });

  it('names plans loaded from text as <plan> unless told', async () => {
    const e = await planErrorOf(() => loadPlanText('- 1\n'));
    expect(e.diagnostics[0]!.file).toBe('<plan>');
  });
});

describe('syntax hints', () => {
  it('explains an unquoted ${env:...} inside a flow mapping', async () => {
    const e = await planErrorOf(() => loadPlanText('version: 1\nlimits: { wcu: ${env:WCU} }\n', 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 2, column: 17, path: '', message: 'inside { } or [ ], quote values that use ${env:...}' }]);
  });
});
