/**
 * `npx ferry demo`, the README's third command, as a user runs it: embedded PostgreSQL and DynamoDB, the Chinook
 * tables copied and verified, exit 0, and nothing on stderr but ferry's own progress lines (no warning of Node's or
 * an SDK's). CI runs it again on the Node 22 floor.
 */
import { expect, it } from 'vitest';
import { ferry, warningsIn, workDir } from '../../support/cli.js';

it('ferry demo: 11 tables, 15,607 rows copied and verified, exit 0, no warnings', () => {
  const r = ferry(['demo'], { cwd: workDir('ferry-demo-test-') });
  expect(r.code, r.err).toBe(0);
  expect(warningsIn(r.err)).toEqual([]);
  expect(r.err.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('ferry demo: '))).toEqual([]);
  const done = r.events.find((e) => e.type === 'job.done')!.summary;
  expect(done).toMatchObject({ status: 'succeeded', items: 15607, rejected: 0 });
  const report = r.events.find((e) => e.type === 'verify.done')!.report;
  expect(report.outcome).toBe('match');
  expect(report.results).toHaveLength(22);
}, 180_000);
