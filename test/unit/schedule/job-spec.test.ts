// Job specs are checked like plans: every problem at once, each with FILE:LINE:COLUMN, its key path and the fix.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadPlanText, PlanError } from '../../../src/plan/index.js';
import { loadJobSpecText } from '../../../src/schedule/job-spec.js';

const problems = (text: string): string[] => {
  try {
    loadJobSpecText(text, 'jobs/j.yaml');
  } catch (e) {
    if (e instanceof PlanError) return e.diagnostics.map((d) => `${d.line}:${d.column} ${d.path}: ${d.message}`);
    throw e;
  }
  return [];
};

describe('job specs', () => {
  it('a valid spec: defaults for window and overlap, the plan resolved against the job file', () => {
    const j = loadJobSpecText('version: 1\nname: nightly\nplan: ../plans/b.yaml\nschedule: { cron: "0 2 * * *", timezone: Europe/Berlin }\n', '/srv/ferry/jobs/n.yaml');
    expect(j.spec).toMatchObject({ name: 'nightly', window: 60, overlap: 'skip', schedule: { cron: '0 2 * * *', timezone: 'Europe/Berlin' } });
    expect(j.planPath).toBe('/srv/ferry/plans/b.yaml');
  });

  it('names an unknown key with a suggestion, a missing plan, a bad enum and a bad duration', () => {
    expect(problems('version: 1\nname: n\nschedul: { cron: "* * * * *" }\naction: backups\nrpo: 1 day\n')).toEqual([
      '1:1 plan: required key missing',
      '1:1 schedule: required key missing',
      '3:1 schedul: unknown key; did you mean "schedule"?',
      '4:9 action: must be one of run, backup, verify, prune, got "backups"; did you mean "backup"?',
      '5:6 rpo: must be a duration: a number and a unit m, h, d or w (36h, 7d, 2w), got "1 day"',
    ]);
  });

  it('names a cron expression or a time zone that is not a schedule', () => {
    expect(problems('version: 1\nname: n\nplan: p.yaml\nschedule: { cron: "0 25 * * *" }\n')).toEqual([expect.stringMatching(/^4:19 schedule\.cron: not a schedule: /)]);
    expect(problems('version: 1\nname: n\nplan: p.yaml\nschedule: { cron: "0 2 * * *", timezone: Mars/Olympus }\n')).toHaveLength(1);
  });

  it('an inline plan becomes a file of its own, its ${env:…} references written as they are', () => {
    const j = loadJobSpecText(
      'version: 1\nname: inline\nschedule: { cron: "0 * * * *" }\nplan:\n  version: 1\n  kind: migration\n  name: inline-plan\n  source: { type: postgres, url: "${env:PGURL}" }\n  target: { type: dynamodb }\n  streams: [{ from: public.t }]\n',
      '/jobs/inline.yaml',
    );
    const text = readFileSync(j.planPath, 'utf8');
    expect(text).toContain('${env:PGURL}');
    expect(loadPlanText(text, j.planPath, { PGURL: 'postgres://u@h/d' }).plan.name).toBe('inline-plan');
  });
});
