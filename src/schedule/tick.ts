/**
 * One tick of the scheduler: for every job, the slots that came due since the last one recorded — those past their
 * window recorded missed, older ones within it superseded by the newest (recorded skipped), the newest run — each
 * taken through the state's unique (job, slot) row, so any number of ticks on any machines run a slot once. A run is
 * a ferry child process (`ferry run|backup verify|backup prune …`), so a run that crashes or grows never takes the
 * scheduler down; the slot's lease is renewed while the child lives and lapses if the ticking process dies.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScheduleSlots, SlotLease } from '../core/schedule-store.js';
import { redact } from '../errors.js';
import { loadPlanFile } from '../plan/index.js';
import type { JobAction, LoadedJobSpec } from './job-spec.js';
import { notify, type Notification } from './notify.js';
import { slotKey, slotsBetween } from './slots.js';

/** bin/ferry.js, two levels up from src|dist/schedule. */
export const FERRY_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'ferry.js');

export const SLOT_LEASE_MS = 60_000;
/** How far back a job that has never run looks for a slot (beyond its window nothing would run anyway). */
const NEVER_RAN_LOOKBACK = (windowMin: number): number => windowMin * 60_000;
/** A job that has not ticked for long records at most this many missed slots, the newest. */
const MAX_MISSED = 1000;

export interface TickContext {
  slots: ScheduleSlots;
  /** The state location the runs use (`--state`). */
  state: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  log: (line: string, data?: Record<string, unknown>) => void;
  /** Runs one action; the default spawns ferry. Tests may count calls instead. */
  execute?: (job: LoadedJobSpec, action: JobAction, slot: string, onJobId: (id: string) => void) => Promise<ActionResult>;
  leaseMs?: number;
}

export interface ActionResult {
  ok: boolean;
  code: number | null;
  jobId?: string;
  error?: string;
  fix?: string;
}

export interface SlotOutcome {
  job: string;
  slot: string;
  outcome: 'succeeded' | 'failed' | 'missed' | 'skipped' | 'taken' | 'queued';
  detail?: string;
  jobId?: string;
}

/** Every job: what this tick did with each slot it looked at. */
export async function tick(jobs: readonly LoadedJobSpec[], ctx: TickContext): Promise<SlotOutcome[]> {
  const out: SlotOutcome[] = [];
  for (const job of jobs) out.push(...(await tickJob(job, ctx)));
  return out;
}

async function tickJob(job: LoadedJobSpec, ctx: TickContext): Promise<SlotOutcome[]> {
  const { spec } = job;
  const now = ctx.now();
  const windowMs = spec.window * 60_000;
  const [last] = await ctx.slots.list(spec.name, 1);
  // A last slot still `running` is looked at again: alive it stays taken, a dead taker's is taken over.
  const from = last ? new Date(new Date(last.slot).getTime() - (last.status === 'running' ? 1 : 0)) : new Date(now.getTime() - NEVER_RAN_LOOKBACK(spec.window));
  // A job that never ran starts with its newest slot: the ones before it were never its to run.
  const due = slotsBetween(spec.schedule, from, now, last ? MAX_MISSED : 1);
  const out: SlotOutcome[] = [];
  const inWindow = due.filter((d) => now.getTime() - d.getTime() <= windowMs);
  for (const d of due) {
    if (inWindow.includes(d)) continue;
    const slot = slotKey(d);
    if (last?.status === 'running' && last.slot === slot) {
      // Its taker died mid-run and the window has passed since: failed, not run again late.
      const why = `its run (${last.holder ?? 'a ticker'}) died and its ${spec.window}-minute window has passed`;
      if (await ctx.slots.abandon(spec.name, slot, why)) {
        out.push({ job: spec.name, slot, outcome: 'failed', detail: why });
        await tell(job, ctx, { job: spec.name, slot, outcome: 'failed', error: why, fix: `see the ferry job of the slot (\`ferry schedule status\`); \`ferry resume\` continues it` });
      }
      continue;
    }
    const detail = `no tick ran it within its ${spec.window}-minute window (the scheduler was down or late)`;
    if (await ctx.slots.note(spec.name, slot, 'missed', detail)) {
      out.push({ job: spec.name, slot, outcome: 'missed', detail });
      await tell(job, ctx, { job: spec.name, slot, outcome: 'missed', error: detail, fix: 'check the trigger (CronJob, timer, cron) that calls `ferry schedule tick`' });
    }
  }
  const newest = inWindow.pop();
  for (const d of inWindow) {
    const slot = slotKey(d);
    if (await ctx.slots.note(spec.name, slot, 'skipped', `superseded by the slot of ${slotKey(newest!)}`)) out.push({ job: spec.name, slot, outcome: 'skipped' });
  }
  if (newest) out.push(await runSlot(job, slotKey(newest), ctx));
  return out;
}

/** `ferry schedule run JOB --slot T` and the tick: take the slot and run it, unless it is taken. */
export async function runSlot(job: LoadedJobSpec, slot: string, ctx: TickContext): Promise<SlotOutcome> {
  const { spec } = job;
  const alive = await ctx.slots.running(spec.name);
  if (alive && alive.slot !== slot) {
    if (spec.overlap === 'queue') return { job: spec.name, slot, outcome: 'queued', detail: `waits for the run of ${alive.slot}` };
    const detail = `the run of ${alive.slot} was still alive (overlap: skip)`;
    await ctx.slots.note(spec.name, slot, 'skipped', detail);
    return { job: spec.name, slot, outcome: 'skipped', detail };
  }
  const holder = `pid ${process.pid} on ${os.hostname()}`;
  const ttl = ctx.leaseMs ?? SLOT_LEASE_MS;
  const claim = await ctx.slots.claim(spec.name, slot, holder, ttl);
  if (claim.outcome === 'taken') return { job: spec.name, slot, outcome: 'taken', detail: `${claim.record.status}${claim.record.holder ? ` (${claim.record.holder})` : ''}` };
  const lease = claim.lease;
  const renew = setInterval(() => void ctx.slots.renew(lease, ttl).catch(() => {}), Math.max(1000, Math.floor(ttl / 3)));
  renew.unref();
  let result: ActionResult;
  try {
    const action = spec.action ?? (await defaultAction(job, ctx.env));
    ctx.log(`running ${spec.name} (${action}) for the slot of ${slot}`, { job: spec.name, slot, attempt: lease.attempt });
    result = await (ctx.execute ?? spawnAction(ctx))(job, action, slot, (id) => void ctx.slots.setJobId(lease, id).catch(() => {}));
  } catch (e) {
    result = { ok: false, code: null, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearInterval(renew);
  }
  await finish(ctx.slots, lease, result);
  const outcome: SlotOutcome = { job: spec.name, slot, outcome: result.ok ? 'succeeded' : 'failed', ...(result.jobId ? { jobId: result.jobId } : {}), ...(result.error ? { detail: result.error } : {}) };
  await tell(job, ctx, { job: spec.name, slot, outcome: outcome.outcome, ...(result.jobId ? { ferryJob: result.jobId } : {}), ...(result.error ? { error: result.error } : {}), ...(result.fix ? { fix: result.fix } : {}) });
  return outcome;
}

async function finish(slots: ScheduleSlots, lease: SlotLease, r: ActionResult): Promise<void> {
  await slots.finish(lease, r.ok ? 'succeeded' : 'failed', r.ok ? undefined : (r.error ?? `exit ${r.code}`), r.jobId);
}

async function defaultAction(job: LoadedJobSpec, env: NodeJS.ProcessEnv): Promise<JobAction> {
  const { plan } = await loadPlanFile(job.planPath, env);
  return plan.kind === 'backup' ? 'backup' : 'run';
}

async function tell(job: LoadedJobSpec, ctx: TickContext, n: Notification): Promise<void> {
  const target = n.outcome === 'succeeded' ? job.spec.on_success : n.outcome === 'failed' || n.outcome === 'missed' ? job.spec.on_failure : undefined;
  if (!target?.webhook) return;
  const problem = await notify(target.webhook, n, ctx.env);
  if (problem) ctx.log(`notification of ${n.job} ${n.slot} not delivered: ${problem}`);
}

/** The ferry commands an action is: each a child process, as an operator would type them. */
export function commandsOf(job: LoadedJobSpec, action: JobAction, state: string, kind: string): string[][] {
  const plan = job.planPath;
  const common = ['--state', state, '--json'];
  const v = job.spec.verify ?? {};
  switch (action) {
    case 'run':
      // A job a dead run of an earlier slot left unfinished continues from its checkpoints.
      return [['run', plan, '--continue', ...common]];
    case 'backup':
      // Every slot its own set: a failed night's incomplete set is pruned by retention, not resumed into.
      return [['run', plan, '--new', ...common], ['backup', 'prune', plan, '--json', '--if-retention', ...retentionArgs(job)]];
    case 'verify':
      // A migration's stores compared again; a backup's newest set against its manifest (and the source, if asked).
      if (kind !== 'backup') return [['verify', plan, ...common]];
      return [
        [
          'backup',
          'verify',
          plan,
          '--json',
          '--read-subset',
          v.read_subset ?? 'auto/7',
          ...(v.max_bytes !== undefined ? ['--max-bytes', String(v.max_bytes)] : []),
          ...(v.max_time !== undefined ? ['--max-time', String(v.max_time)] : []),
          ...(v.source ? ['--source'] : []),
        ],
      ];
    case 'prune':
      return [['backup', 'prune', plan, '--json', ...retentionArgs(job)]];
  }
}

/** The job's `retention:` as prune flags (they replace the plan's). */
function retentionArgs(job: LoadedJobSpec): string[] {
  const r = job.spec.retention ?? {};
  return Object.entries(r).flatMap(([k, v]) => [`--${k.replaceAll('_', '-')}`, String(v)]);
}

function spawnAction(ctx: TickContext): NonNullable<TickContext['execute']> {
  return async (job, action, _slot, onJobId) => {
    let jobId: string | undefined;
    const { plan } = await loadPlanFile(job.planPath, ctx.env);
    for (const args of commandsOf(job, action, ctx.state, plan.kind)) {
      const r = await runFerry(args, ctx.env, (id) => {
        jobId ??= id;
        onJobId(id);
      });
      if (r.code !== 0) return { ok: false, code: r.code, ...(jobId ? { jobId } : {}), error: r.error ?? `ferry ${args.slice(0, 2).join(' ')} exited ${r.code ?? r.signal}`, ...(r.fix ? { fix: r.fix } : {}) };
    }
    return { ok: true, code: 0, ...(jobId ? { jobId } : {}) };
  };
}

function runFerry(args: string[], env: NodeJS.ProcessEnv, onJobId: (id: string) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string; fix?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const err: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /"jobId":"(\d{8}-\d{6}-[0-9a-f]{6})"/.exec(line);
        if (m) onJobId(m[1]!);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => err.push(...d.split('\n').filter((l) => l.trim() !== '')));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const error = err.find((l) => l.startsWith('ferry: '))?.slice('ferry: '.length);
      const fix = err.find((l) => l.trimStart().startsWith('fix: '))?.trim().slice('fix: '.length);
      resolve({ code, signal, ...(error ? { error: redact(error) } : {}), ...(fix ? { fix: redact(fix) } : {}) });
    });
  });
}
