// Scheduled jobs exported to Kubernetes, systemd and cron: the CronJobs validate against the Kubernetes OpenAPI
// schema, the timers against systemd itself (where systemd-analyze is installed), each firing `ferry schedule run`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { cronJobs, crontab, onCalendar, systemdUnits, type ExportOptions } from '../../../src/schedule/export.js';
import { loadJobSpecText } from '../../../src/schedule/job-spec.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-export-'));
const job = (name: string, cron: string, tz?: string) =>
  loadJobSpecText(`version: 1\nname: ${name}\nplan: ../plans/p.yaml\nschedule: { cron: "${cron}"${tz ? `, timezone: ${tz}` : ''} }\nwindow: 45\n`, path.join(dir, 'jobs', `${name}.yaml`));
const jobs = [job('nightly-backup', '0 2 * * *', 'Europe/Berlin'), job('quarter-hourly-verify', '*/15 8-18 * * 1-5')];
const opts: ExportOptions = { jobsDir: '/srv/ferry/jobs', ferry: `${process.execPath} /srv/ferry/bin/ferry.js`, image: 'ghcr.io/acme/ferry:1.2.3', secret: 'ferry-prod', stateKey: 'state', configMap: 'ferry-scheduled-jobs', envFile: '/etc/ferry/env' };

describe('schedule export', () => {
  it('Kubernetes: a ConfigMap of jobs and plans, and CronJobs that validate, Forbid overlap, deadline from the window, secrets by reference', () => {
    const docs = cronJobs(jobs, { ...opts, namespace: 'dr' }, (f) => `# ${path.basename(f)}\n`);
    expect(docs).toHaveLength(3);
    new ConfigMap(docs[0] as never).validate();
    expect(Object.keys((docs[0] as { data: Record<string, string> }).data).sort()).toEqual(['jobs_nightly-backup.yaml', 'jobs_quarter-hourly-verify.yaml', 'plans_p.yaml']);
    for (const d of docs.slice(1)) new CronJob(d as never).validate();
    const c = docs[1] as { spec: Record<string, unknown> & { jobTemplate: { spec: { template: { spec: { containers: { args: string[]; env: unknown[] }[] } } } } } };
    expect(c.spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 2700 });
    const container = c.spec.jobTemplate.spec.template.spec.containers[0]!;
    expect(container.args).toEqual(['schedule', 'run', 'nightly-backup', '--jobs', '/ferry/jobs', '--json']);
    expect(JSON.stringify(container.env)).toContain('secretKeyRef');
  });

  it('systemd: a oneshot service and a persistent timer per job, OnCalendar in the job\'s zone; systemd accepts them', () => {
    expect(onCalendar('0 2 * * *', 'Europe/Berlin')).toBe('*-*-* 2:0:00 Europe/Berlin');
    expect(onCalendar('*/15 8-18 * * 1-5')).toBe('Mon..Fri *-*-* 8..18:0/15:00 UTC');
    expect(() => onCalendar('0 0 1 * 1')).toThrow(/ORs day-of-month and day-of-week/);
    const units = systemdUnits(jobs, opts);
    expect(Object.keys(units).sort()).toEqual(['ferry-nightly-backup.service', 'ferry-nightly-backup.timer', 'ferry-quarter-hourly-verify.service', 'ferry-quarter-hourly-verify.timer']);
    expect(units['ferry-nightly-backup.timer']).toContain('Persistent=true');
    expect(units['ferry-nightly-backup.service']).toContain(`ExecStart=${process.execPath} /srv/ferry/bin/ferry.js schedule run nightly-backup --jobs /srv/ferry/jobs --json`);
    expect(units['ferry-nightly-backup.service']).toContain('EnvironmentFile=/etc/ferry/env');
    const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (analyze.status !== 0) return; // not installed here: the unit text checks above stand
    for (const j of jobs) {
      const r = spawnSync('systemd-analyze', ['calendar', onCalendar(j.spec.schedule.cron, j.spec.schedule.timezone)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    const out = mkdtempSync(path.join(tmpdir(), 'ferry-units-'));
    for (const [name, text] of Object.entries(units)) writeFileSync(path.join(out, name), text.replace('EnvironmentFile=/etc/ferry/env\n', ''));
    const v = spawnSync('systemd-analyze', ['verify', ...Object.keys(units).map((n) => path.join(out, n))], { encoding: 'utf8' });
    expect(v.stderr.split('\n').filter((l) => /ferry-/.test(l) && !/not executable|No such file/.test(l))).toEqual([]);
  });

  it('crontab: CRON_TZ per job, the same ferry schedule run', () => {
    const text = crontab(jobs, opts);
    expect(text.split('\n').slice(1, 5)).toEqual([
      'CRON_TZ=Europe/Berlin',
      `0 2 * * * ${process.execPath} /srv/ferry/bin/ferry.js schedule run nightly-backup --jobs /srv/ferry/jobs --json >> /var/log/ferry-nightly-backup.log 2>&1`,
      'CRON_TZ=UTC',
      `*/15 8-18 * * 1-5 ${process.execPath} /srv/ferry/bin/ferry.js schedule run quarter-hourly-verify --jobs /srv/ferry/jobs --json >> /var/log/ferry-quarter-hourly-verify.log 2>&1`,
    ]);
  });
});
