/**
 * `limits.ramp_up: true` in a plan turns on the Firestore sink's 500/50/5 ramp-up: open-connectors passes it to a
 * target whose descriptor declares `rampUp` as its `ramp_up` option (the target block's own setting wins); for a
 * target without one it is a no-op, and loading the plan warns.
 */
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/connectors/firestore/options.js';
import { RAMP_FACTOR, RAMP_START_PER_SECOND, RAMP_STEP_MS } from '../../../src/connectors/firestore/ramp-up.js';
import { connectors } from '../../../src/connectors/registry.js';
import { sinkOptionsOf } from '../../../src/engine/open-connectors.js';
import { loadPlanText } from '../../../src/plan/index.js';

const plan = (target: string, limits: string) => `version: 1
kind: migration
name: t
source: { type: dynamodb, region: us-east-1 }
target:
${target}
streams:
  - from: Artists
    to: artists
limits:
  concurrency: 2
${limits}
`;
const firestore = '  type: firestore\n  project: acme';

describe('limits.ramp_up', () => {
  it('turns on the Firestore sink\'s ramp-up when the target block says nothing', () => {
    const { plan: p, warnings } = loadPlanText(plan(firestore, '  ramp_up: true'), 'p.yaml', {});
    expect(warnings).toEqual([]);
    const options = sinkOptionsOf(p.target, p.limits);
    expect(options).toEqual({ project: 'acme', ramp_up: true });
    expect(parseOptions(options).rampUp).toBe(true);
    // The plan itself is left as it was.
    expect(p.target['ramp_up']).toBeUndefined();
  });

  it('is off by default, and `limits.ramp_up: false` changes nothing', () => {
    for (const limits of ['', '  ramp_up: false']) {
      const { plan: p } = loadPlanText(plan(firestore, limits), 'p.yaml', {});
      expect(parseOptions(sinkOptionsOf(p.target, p.limits)).rampUp).toBe(false);
    }
    const { plan: own } = loadPlanText(plan(`${firestore}\n  ramp_up: true`, ''), 'p.yaml', {});
    expect(parseOptions(sinkOptionsOf(own.target, own.limits)).rampUp).toBe(true);
  });

  it('the target block\'s own `ramp_up: false` wins, with a warning that says so', () => {
    const { plan: p, warnings } = loadPlanText(plan(`${firestore}\n  ramp_up: false`, '  ramp_up: true'), 'p.yaml', {});
    expect(parseOptions(sinkOptionsOf(p.target, p.limits)).rampUp).toBe(false);
    expect(warnings).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'target.ramp_up', line: 8, message: expect.stringMatching(/overrides limits\.ramp_up: true/) }),
    ]);
  });

  it('is a no-op for a target without a ramp-up, with a plan warning', () => {
    const { plan: p, warnings } = loadPlanText(plan('  type: dynamodb\n  region: us-east-1', '  ramp_up: true'), 'p.yaml', {});
    expect(sinkOptionsOf(p.target, p.limits)).toEqual({ region: 'us-east-1' });
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'limits.ramp_up',
        line: 13,
        message: expect.stringMatching(/dynamodb has no ramp-up of its own.*targets with one: firestore/),
      }),
    ]);
  });

  it('only connectors whose sink has a `ramp_up` option declare a ramp-up', () => {
    const declared = connectors.filter((c) => c.rampUp).map((c) => c.type);
    expect(declared).toEqual(['firestore']);
    for (const c of connectors) {
      const props = (c.optionsSchema['properties'] ?? {}) as Record<string, unknown>;
      if (c.rampUp) expect(props['ramp_up'], c.type).toBeDefined();
    }
  });

  it('the rule it turns on: 500 writes/s, +50% every 5 minutes', () => {
    expect([RAMP_START_PER_SECOND, RAMP_FACTOR, RAMP_STEP_MS]).toEqual([500, 1.5, 300_000]);
  });
});
