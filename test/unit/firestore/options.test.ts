import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, parseOptions, resolveRules } from '../../../src/connectors/firestore/options.js';
import { loadPlanText, PlanError } from '../../../src/plan/index.js';

const plan = (target: string, stream: string) => `version: 1
kind: migration
name: t
source: { type: dynamodb, region: us-east-1 }
target:
  type: firestore
  project: acme
${target}
streams:
  - from: Artists
    to: artists
${stream}
`;

describe('Firestore plan options', () => {
  it('accepts the rules on the target and on a stream (the stream wins), and the connection keys', () => {
    const { plan: p } = loadPlanText(
      plan(
        '  database: other\n  key_file: ./sa.json\n  ramp_up: true\n  numbers: string\n  sets: tagged\n  nested_arrays: wrap\n  bad_ids: reject\n  merge: true',
        '    id: "${ArtistId}"\n    numbers: reject\n    merge: false',
      ),
      'p.yaml',
      {},
    );
    const o = parseOptions(p.target);
    expect(o).toMatchObject({ project: 'acme', database: 'other', keyFile: './sa.json', rampUp: true });
    expect(resolveRules(o.rules, p.streams[0])).toEqual({ numbers: 'reject', sets: 'tagged', nestedArrays: 'wrap', badIds: 'reject', merge: false });
    expect(resolveRules({}, {})).toEqual(DEFAULT_RULES);
    expect(DEFAULT_RULES).toEqual({ numbers: 'reject', sets: 'array', nestedArrays: 'reject', badIds: 'escape', merge: false });
    expect(parseOptions({})).toEqual({ rampUp: false, rules: {} });
  });

  it('refuses unknown values, with the choices', () => {
    let err: unknown;
    try {
      loadPlanText(plan('  sets: list', '    bad_ids: drop'), 'p.yaml', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    const text = (err as PlanError).message + JSON.stringify((err as PlanError).diagnostics ?? []);
    expect(text).toMatch(/array, tagged/);
    expect(text).toMatch(/escape, reject/);
  });

  it('takes collection_group on a Firestore source stream', () => {
    const text = `version: 1\nkind: migration\nname: t\nsource: { type: firestore, project: acme }\ntarget: { type: dynamodb, region: us-east-1 }\nstreams:\n  - from: albums\n    collection_group: true\n`;
    const { plan: p } = loadPlanText(text, 'p.yaml', {});
    expect(p.streams[0]).toMatchObject({ collection_group: true });
  });
});
