/**
 * Scheduled jobs exported to the schedulers operators already run — Kubernetes CronJobs, systemd timers, crontab —
 * each firing `ferry schedule run JOB`, so the slot bookkeeping still decides: a CronJob that creates two Jobs, or a
 * timer that fires again after a reboot (`Persistent=true`), runs a slot once. Credentials come by reference only: a
 * Secret in Kubernetes, an EnvironmentFile for systemd, the crontab owner's environment.
 */
import path from 'node:path';
import { FerryError } from '../errors.js';
import { k8sName } from '../deploy/k8s.js';
import type { LoadedJobSpec } from './job-spec.js';

export interface ExportOptions {
  /** Directory the jobs are read from at run time (`--jobs`). */
  jobsDir: string;
  /** `--state`, when not from the environment (FERRY_STATE). */
  state?: string;
  /** The command that runs ferry (`ferry`, `npx ferry`, a path). */
  ferry: string;
  // Kubernetes
  image: string;
  namespace?: string;
  secret: string;
  stateKey: string;
  /** ConfigMap holding the job specs and plans, mounted at /ferry. */
  configMap: string;
  // systemd
  envFile?: string;
  workDir?: string;
}

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function runArgs(job: LoadedJobSpec, o: { jobsDir: string; state?: string }): string[] {
  return ['schedule', 'run', job.spec.name, '--jobs', o.jobsDir, ...(o.state ? ['--state', o.state] : []), '--json'];
}

const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/** crontab lines; a job in a time zone gets `CRON_TZ=` (cronie, the default cron of most distributions). */
export function crontab(jobs: readonly LoadedJobSpec[], o: ExportOptions): string {
  const lines = ['# ferry scheduled jobs: each line runs one slot; `ferry schedule run` makes a slot run once however often cron fires.'];
  for (const j of jobs) {
    const fields = j.spec.schedule.cron.trim().split(/\s+/);
    if (fields.length !== 5) throw new FerryError('USAGE', `job ${j.spec.name}: crontab takes 5-field cron expressions, not "${j.spec.schedule.cron}"`, { hint: 'export it as a systemd timer or a Kubernetes CronJob' });
    lines.push(`CRON_TZ=${j.spec.schedule.timezone ?? 'UTC'}`);
    lines.push(`${fields.join(' ')} ${o.ferry} ${runArgs(j, o).map(shellQuote).join(' ')} >> /var/log/ferry-${j.spec.name}.log 2>&1`);
  }
  return `${lines.join('\n')}\n`;
}

/** One cron field as systemd calendar syntax: `*`, lists `a,b`, ranges `a..b`, steps `a/n`. */
function calendarField(field: string, what: string, names?: readonly string[]): string {
  return field
    .split(',')
    .map((part) => {
      const [range, step] = part.split('/') as [string, string | undefined];
      let r = range === '*' ? '*' : range.replace('-', '..');
      if (names) r = r === '*' ? '*' : r.split('..').map((n) => names[Number(n) % 7] ?? n).join('..');
      if (step !== undefined) {
        if (!/^\d+$/.test(step)) throw new FerryError('USAGE', `${what} step "${step}" has no systemd form`);
        const start = range === '*' ? (what === 'day' || what === 'month' ? '1' : '0') : range.split('-')[0]!;
        return `${start}/${step}`;
      }
      if (!/^(\*|[A-Za-z0-9]+(\.\.[A-Za-z0-9]+)?)$/.test(r)) throw new FerryError('USAGE', `${what} "${part}" has no systemd form`);
      return r;
    })
    .join(',');
}

/** The cron expression as a systemd OnCalendar= value, in the job's time zone. */
export function onCalendar(cron: string, timezone = 'UTC'): string {
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) throw new FerryError('USAGE', `systemd export takes 5-field cron expressions, not "${cron}"`);
  const [min, hour, dom, mon, dow] = f as [string, string, string, string, string];
  if (dom !== '*' && dow !== '*') throw new FerryError('USAGE', `"${cron}": cron ORs day-of-month and day-of-week, systemd ANDs them; write two jobs`);
  const days = dow === '*' ? '' : `${calendarField(dow, 'weekday', DOW)} `;
  return `${days}*-${calendarField(mon, 'month')}-${calendarField(dom, 'day')} ${calendarField(hour, 'hour')}:${calendarField(min, 'minute')}:00 ${timezone}`;
}

/** A service and a timer per job: file name → content. */
export function systemdUnits(jobs: readonly LoadedJobSpec[], o: ExportOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const j of jobs) {
    const unit = `ferry-${k8sName(j.spec.name, 60)}`;
    out[`${unit}.service`] = [
      '[Unit]',
      `Description=ferry scheduled job ${j.spec.name} (one slot per start; \`ferry schedule status\` shows them)`,
      'After=network-online.target',
      'Wants=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      ...(o.workDir ? [`WorkingDirectory=${o.workDir}`] : []),
      ...(o.envFile ? [`EnvironmentFile=${o.envFile}`] : []),
      `ExecStart=${[o.ferry, ...runArgs(j, o)].join(' ')}`,
      // SIGTERM drains (in-flight batches checkpoint); the slot's lease lapses and a later tick may take it over.
      'KillSignal=SIGTERM',
      'TimeoutStopSec=120',
      '',
    ].join('\n');
    out[`${unit}.timer`] = [
      '[Unit]',
      `Description=Schedule of ferry job ${j.spec.name}: ${j.spec.schedule.cron} (${j.spec.schedule.timezone ?? 'UTC'})`,
      '',
      '[Timer]',
      `OnCalendar=${onCalendar(j.spec.schedule.cron, j.spec.schedule.timezone)}`,
      // A slot missed while the machine was off runs at boot; ferry records it missed if its window has passed.
      'Persistent=true',
      `Unit=${unit}.service`,
      '',
      '[Install]',
      'WantedBy=timers.target',
      '',
    ].join('\n');
  }
  return out;
}

/**
 * A ConfigMap of the job specs and the plans they name (texts as written: secrets stay `${env:…}` references), laid
 * out below /ferry as they are relative to each other, then a CronJob per job mounting it; the state and the
 * credentials come from a Secret.
 */
export function cronJobs(jobs: readonly LoadedJobSpec[], o: ExportOptions, read: (file: string) => string): Record<string, unknown>[] {
  const data: Record<string, string> = {};
  const items: { key: string; path: string }[] = [];
  const add = (file: string, at: string): void => {
    const key = at.replace(/[^A-Za-z0-9._-]/g, '_');
    if (data[key] !== undefined) return;
    data[key] = read(file);
    items.push({ key, path: at });
  };
  for (const j of jobs) {
    const jobAt = `jobs/${path.basename(j.file)}`;
    const planAt = typeof j.spec.plan === 'string' ? path.posix.normalize(path.posix.join('jobs', j.spec.plan.split(path.sep).join('/'))) : undefined;
    add(j.file, jobAt);
    if (planAt === undefined) continue; // an inline plan travels inside its job file
    if (planAt.startsWith('..')) throw new FerryError('USAGE', `job ${j.spec.name}: its plan ${j.spec.plan} lies outside the directory above the jobs`, { hint: 'keep plans beside the jobs directory (../plans/…)' });
    add(j.planPath, planAt);
  }
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o.configMap, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { 'app.kubernetes.io/name': 'ferry' } }, data };
  return [configMap, ...jobs.map((j) => {
    const name = `ferry-${k8sName(j.spec.name, 40)}`;
    const labels = { 'app.kubernetes.io/name': 'ferry', 'app.kubernetes.io/instance': name, 'ferry.dev/scheduled-job': k8sName(j.spec.name, 63) };
    return {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name, ...(o.namespace ? { namespace: o.namespace } : {}), labels },
      spec: {
        schedule: j.spec.schedule.cron,
        timeZone: j.spec.schedule.timezone ?? 'Etc/UTC',
        // Kubernetes may still create two Jobs or none for a slot; `ferry schedule run` makes that harmless.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: j.spec.window * 60,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 5,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 0,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                terminationGracePeriodSeconds: 120,
                containers: [
                  {
                    name: 'ferry',
                    image: o.image,
                    args: runArgs(j, { jobsDir: '/ferry/jobs' }),
                    env: [{ name: 'FERRY_STATE', valueFrom: { secretKeyRef: { name: o.secret, key: o.stateKey } } }],
                    envFrom: [{ secretRef: { name: o.secret } }],
                    volumeMounts: [{ name: 'ferry', mountPath: '/ferry', readOnly: true }],
                  },
                ],
                volumes: [{ name: 'ferry', configMap: { name: o.configMap, items } }],
              },
            },
          },
        },
      },
    };
  })];
}
