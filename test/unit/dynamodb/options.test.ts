import { describe, expect, it } from 'vitest';
import { parseOptions, resolveTypeRules } from '../../../src/connectors/dynamodb/options.js';
import { loadPlanText, PlanError } from '../../../src/plan/index.js';

const plan = (target: string, stream: string) => `version: 1
kind: migration
name: t
source: { type: postgres, url: "postgres://ferry@db/app" }
target:
  type: dynamodb
  region: us-east-1
${target}
streams:
  - from: public.invoice
${stream}
`;

describe('DynamoDB plan options', () => {
  it('accepts the type-mapping options on the target and on a stream, and key types', () => {
    const { plan: p } = loadPlanText(
      plan(
        '  timestamps: epoch_millis\n  json: string\n  arrays: set\n  non_finite: string\n  empty_sets: omit\n  table_prefix: staging_',
        '    key: { partition: pk, sort: sk, sort_type: N }\n    timestamps: iso\n    arrays: list',
      ),
      'p.yaml',
      {},
    );
    const o = parseOptions(p.target);
    expect(o).toMatchObject({ tablePrefix: 'staging_', create: false, billing: 'on_demand' });
    expect(resolveTypeRules(o.rules, p.streams[0])).toEqual({
      timestamps: 'iso',
      json: 'string',
      arrays: 'list',
      nonFinite: 'string',
      emptySets: 'omit',
    });
    expect(resolveTypeRules({}, {})).toEqual({ timestamps: 'iso', json: 'map', arrays: 'list', nonFinite: 'reject', emptySets: 'reject' });
  });

  it('refuses unknown values, with the choices', () => {
    let err: unknown;
    try {
      loadPlanText(plan('  timestamps: unix', '    key: { partition: pk, partition_type: X }'), 'p.yaml', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    const text = (err as PlanError).message + JSON.stringify((err as PlanError).diagnostics ?? []);
    expect(text).toMatch(/iso, epoch_seconds, epoch_millis/);
    expect(text).toMatch(/S, N, B/);
  });

  it('rcu_per_second on a DynamoDB source block: a positive number of read capacity units per second', () => {
    const src = (extra: string) => `version: 1
kind: migration
name: t
source:
  type: dynamodb
  region: us-east-1
${extra}
target: { type: firestore, project: p }
streams:
  - from: Artists
`;
    const { plan: p } = loadPlanText(src('  rcu_per_second: 12.5\n  consistent_read: true'), 'p.yaml', {});
    expect(parseOptions(p.source)).toMatchObject({ readRate: 12.5, consistentRead: true });
    expect(parseOptions(loadPlanText(src(''), 'p.yaml', {}).plan.source).readRate).toBeUndefined();
    for (const bad of ['0', '-5', 'fast']) {
      let err: unknown;
      try {
        loadPlanText(src(`  rcu_per_second: ${bad}`), 'p.yaml', {});
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).diagnostics.map((d) => d.path)).toContain('source.rcu_per_second');
    }
  });
});
