/** The plan's `verify_options`: schema-checked, and `unicode: nfc` reaching the checksum through verifyStreams. */
import { describe, expect, it } from 'vitest';
import { loadPlanText } from '../../../src/plan/index.js';
import { verifyStreams } from '../../../src/verify/index.js';
import { DocSource } from '../../support/doc-source.js';

const plan = (extra: string): string => `
version: 1
kind: migration
name: nfc
source: { type: dynamodb, region: us-east-1 }
target: { type: firestore, project: acme }
streams:
  - from: s
${extra}`;

describe('verify_options', () => {
  it('takes unicode: exact or nfc, and refuses anything else', () => {
    expect(loadPlanText(plan('verify_options: { unicode: nfc }\n'), 'p.yaml', {}).plan.verify_options).toEqual({ unicode: 'nfc' });
    expect(loadPlanText(plan('verify_options: { unicode: exact }\n'), 'p.yaml', {}).plan.verify_options).toEqual({ unicode: 'exact' });
    expect(() => loadPlanText(plan('verify_options: { unicode: nfd }\n'), 'p.yaml', {})).toThrow(/unicode/);
    expect(() => loadPlanText(plan('verify_options: { unicod: nfc }\n'), 'p.yaml', {})).toThrow(/unicod/);
  });

  it('NFC keys and values against NFD ones: differ by default, match with unicode: nfc', async () => {
    const name = (i: number) => `Zo\u00eb-${i}`;
    const source = new DocSource({ streams: { s: { count: 50, make: (i) => ({ key: { id: name(i) }, value: { id: name(i), 'caf\u00e9': name(i) } }) } } });
    const nfd = (s: string) => s.normalize('NFD');
    const target = new DocSource({
      streams: { s: { count: 50, make: (i) => ({ key: { id: nfd(name(i)) }, value: { id: nfd(name(i)), [nfd('caf\u00e9')]: nfd(name(i)) } }) } },
    });
    const run = async (extra: string) =>
      (await verifyStreams({ plan: loadPlanText(plan(extra), 'p.yaml', {}).plan, source, targetSource: target, sink: {}, verifiers: ['checksum'] })).results[0]!;
    const exact = await run('');
    // Keys differ too, so the NFD records are extra and the NFC ones missing.
    expect(exact).toMatchObject({ outcome: 'differ', missing: { total: 50 }, extra: { total: 50 } });
    expect(await run('verify_options: { unicode: nfc }\n')).toMatchObject({ outcome: 'match', missing: { total: 0 }, extra: { total: 0 }, changed: { total: 0 } });
  });
});
