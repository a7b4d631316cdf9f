import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import { jobNotFound } from '../engine/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { jobView, type JobView } from './job-view.js';
import { formatCount, printJson, table } from './output.js';
import { withStore } from './store.js';

interface StatusArgs extends GlobalArgs {
  job?: string;
}

/** `ferry status [JOB]`: unfinished jobs, or one job with its segments; safe to run while a job runs. */
export function statusCommand(ctx: CliContext): CommandModule<GlobalArgs, StatusArgs> {
  return {
    command: 'status [job]',
    describe: 'show unfinished jobs, or one job with its segments',
    builder: (y: Argv<GlobalArgs>) => y.positional('job', { type: 'string', describe: 'job id' }) as Argv<StatusArgs>,
    handler: handler<StatusArgs>(ctx, (args) =>
      withStore(ctx, args, { create: false }, async (store) => {
        if (args.job) {
          const job = await store?.getJob(args.job);
          if (!store || !job) throw jobNotFound(args.job);
          const segments = await store.listSegments(job.id);
          const view = { ...(await jobView(store, job, segments)), segmentDetail: segments };
          if (args.json) printJson(ctx.io, view);
          else {
            ctx.io.out(describeJob(view));
            ctx.io.out(
              table([
                ['segment', 'target', 'status', 'items', 'rejected', 'held by', 'last report', 'cursor'],
                ...segments.map((s) => [
                  s.id,
                  s.target,
                  s.status,
                  formatCount(s.items),
                  formatCount(s.rejected),
                  s.holder ? `pid ${s.holder.pid}@${s.holder.host}` : '-',
                  s.holder ? lastReport(s.updatedAt, s.holder.heartbeatAt) : '-',
                  s.cursor === undefined ? '-' : truncate(s.cursor, 40),
                ]),
              ]),
            );
          }
          return EXIT.OK;
        }
        const views = store ? await Promise.all((await store.listJobs()).filter((j) => j.status !== 'succeeded').map((j) => jobView(store, j))) : [];
        if (args.json) printJson(ctx.io, views);
        else if (views.length === 0) ctx.io.out('no unfinished jobs');
        else for (const v of views) ctx.io.out(describeJob(v));
        return EXIT.OK;
      }),
    ),
  };
}


export function describeJob(v: JobView): string {
  const lines = [
    `job ${v.id}  ${v.plan} (${v.kind})  ${v.status}`,
    `  segments ${v.segments.done}/${v.segments.total} done, items ${formatCount(v.items)}, dead letters ${formatCount(v.deadLetters)}`,
  ];
  if (v.verification) lines.push(`  verification: ${v.verification}`);
  for (const r of v.runners ?? []) {
    lines.push(`  ${r.shared ? 'worker' : 'runner'} pid ${r.pid} on ${r.host} since ${r.since}${r.heartbeatAt ? `, last heartbeat ${r.heartbeatAt}` : ''}`);
  }
  if (v.error) lines.push(`  error: ${v.error}`);
  if (v.next) lines.push(`  next: ${v.next}`);
  return lines.join('\n');
}

/** The later of a segment's last commit and its holder's last heartbeat. */
function lastReport(committedAt: string, heartbeatAt: string | undefined): string {
  return heartbeatAt && heartbeatAt > committedAt ? heartbeatAt : committedAt;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
