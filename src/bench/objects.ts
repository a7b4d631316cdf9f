/**
 * `npm run bench -- objects`: how fast ferry copies objects from S3 to GCS, next to `rclone copy` of the same objects
 * between the same two servers (gofakes3 and fake-gcs-server).
 *
 * - Source: the sets of object-sets.ts in `s3://ferry-bench-objects` (small: 2,000 × 16 KiB, large: 8 × 64 MiB by
 *   default), uploaded once and reused. The two sets are copied by separate runs, so objects/s (small set: per-object
 *   cost) and MB/s (large set: bandwidth) each mean something.
 * - ferry: the real `ferry run` as a child process (ferry-child.ts) with a plan s3 → gcs, `create: true`, `transfers`
 *   as given, verification on (`verify: [count, checksum]`), into a fresh bucket. Its rate uses the job's own
 *   duration (`job.done`: listing, copying with a hash proof per object, checkpoints); the time to the verification
 *   report (`verify.done`, both sides listed again and compared) is measured too, and reported as "with verify".
 * - rclone: `rclone copy` into a fresh bucket (created first: rclone cannot create one on fake-gcs-server), with
 *   `--transfers` as ferry's `transfers` and `--checkers`; its wall clock from spawn to exit. rclone checks each
 *   upload's MD5 against the source's by default, as ferry does.
 * - Every target is then listed by the bench itself and compared with the source's listing (names, sizes, MD5s),
 *   and deleted. A run fails (the bench exits 1) when it does not complete or its target differs.
 */
import type { ChildProcess } from 'node:child_process';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { DEFAULT_BENCH_PART_SIZE_MB, type ObjectsOptions } from './args.js';
import { isInterrupted, type Interrupted } from './baselines.js';
import { objectsPlanYaml, runFerryChild, type FerryChildResult } from './ferry-child.js';
import {
  benchS3,
  benchStorage,
  checkError,
  compareListings,
  createGcsBucket,
  deleteGcsBucket,
  describeSet,
  ensureSourceSet,
  listGcs,
  MIB,
  objectSets,
  setBytes,
  SOURCE_BUCKET,
  targetBucketName,
  type Phase,
  type SourceSet,
} from './object-sets.js';
import { readMemory } from './proc.js';
import { rcloneGcsRemote, rcloneS3Remote, rcloneVersion, redactRcloneArgs, runRclone, type RcloneRun } from './rclone.js';
import { cpuOf, ferryCommit, ferryRunError, formatTable, machine, median, message, n, orNull, pctText, ratioText, round, runRounds, type Machine } from './runs.js';
import type { BenchServers } from './servers.js';

/** The issue's goals, printed next to the ratios (never a pass or a fail). */
export const GOAL_RATIO_OBJECTS = 1.2;
export const GOAL_RATIO_MB = 1.0;

export type Tool = 'ferry' | 'rclone';

/** rclone's flags besides source and destination: as many transfers as ferry, checkers, nothing else changed. */
export function rcloneCopyFlags(o: Pick<ObjectsOptions, 'transfers' | 'checkers'>): string[] {
  return ['--transfers', String(o.transfers), '--checkers', String(o.checkers), '--stats', '0'];
}

export interface ObjectRunJson {
  tool: Tool;
  phase: Phase;
  round: number;
  label: string;
  bucket: string;
  objects: number;
  mb: number;
  /** The copy: ferry's job duration, rclone's wall clock. */
  seconds: number | null;
  objects_per_s: number | null;
  mb_per_s: number | null;
  /** ferry: job + verification (to `verify.done`). */
  seconds_with_verify: number | null;
  objects_per_s_with_verify: number | null;
  mb_per_s_with_verify: number | null;
  /** From spawn to exit. */
  wall_seconds: number | null;
  /** Objects in the target after the run, by the bench's own listing. */
  counted: number | null;
  ok: boolean;
  error?: string;
  /** CPU (% of one core over the wall clock) of the copying process and of each server. */
  client_cpu_pct: number | null;
  s3_cpu_pct: number | null;
  gcs_cpu_pct: number | null;
  peak_rss_mb: number | null;
  /** fake-gcs-server's resident memory right after the run (before the target is deleted). */
  gcs_rss_mb: number | null;
}

export interface SetFigures {
  objects: number;
  object_bytes: number;
  /** Medians over the rounds. */
  ferry_objects_per_s: number | null;
  ferry_mb_per_s: number | null;
  ferry_objects_per_s_with_verify: number | null;
  ferry_mb_per_s_with_verify: number | null;
  rclone_objects_per_s: number | null;
  rclone_mb_per_s: number | null;
  /** ferry / rclone, on the copy; and with ferry's verification counted in. */
  ratio: number | null;
  ratio_with_verify: number | null;
  ferry_job_seconds: number | null;
  ferry_verify_seconds: number | null;
  ferry_wall_seconds: number | null;
  rclone_seconds: number | null;
}

/** The JSON of `--json`: the issue's fields first, then `details`. */
export interface ObjectsResult {
  /** Small set, objects/s (copy). */
  ferry_objects_per_s: number | null;
  rclone_objects_per_s: number | null;
  /** Large set, MB/s (MB = 2^20 bytes; copy). */
  ferry_mb_per_s: number | null;
  rclone_mb_per_s: number | null;
  /** ferry / rclone on the small set (objects/s) and on the large set (MB/s). */
  ratio_objects: number | null;
  ratio_mb: number | null;
  /** ferry child, largest over the runs. */
  peak_rss_mb: number | null;
  /** The same with ferry's verification time counted in. */
  ferry_objects_per_s_with_verify: number | null;
  ferry_mb_per_s_with_verify: number | null;
  ratio_objects_with_verify: number | null;
  ratio_mb_with_verify: number | null;
  rclone_peak_rss_mb: number | null;
  s3_server: string;
  gcs_server: string;
  notes: string[];
  ok: boolean;
  details: {
    sets: Partial<Record<Phase, SetFigures>>;
    ferry: {
      transfers: number;
      /** `large_transfers`; null = ferry's default (4). */
      large_transfers: number | null;
      part_size_mb: number;
      concurrency: number;
      batch_size: number;
      verify: string[];
      command: string | null;
    };
    rclone: { version: string | null; flags: string[]; command: string | null };
    rounds: number;
    runs: ObjectRunJson[];
    source: { bucket: string; sets: { phase: Phase; prefix: string; objects: number; object_bytes: number; reused: boolean; load_seconds: number }[] };
    machine: Machine;
    ferry_commit: string | null;
  };
}

export interface ObjectsContext {
  root: string;
  servers: BenchServers;
  log: (line: string) => void;
  interrupted: Interrupted;
  onChild?: (child: ChildProcess | undefined) => void;
}

interface Measured {
  seconds: number | undefined;
  secondsWithVerify: number | undefined;
  wallSeconds: number | undefined;
  clientCpuSeconds: number | undefined;
  peakRssBytes: number | undefined;
  error?: string;
  ferry?: FerryChildResult;
  rclone?: RcloneRun;
}

const pct = (cpu: number | undefined, secs: number | undefined): number | null => (cpu !== undefined && secs ? round((100 * cpu) / secs) : null);
const mbOf = (bytes: number | undefined): number | null => (bytes === undefined ? null : round(bytes / MIB, 1));

/** One run's JSON from its set and what was measured. */
export function objectRunJson(
  tool: Tool,
  round_: number,
  src: Pick<SourceSet, 'set'>,
  bucket: string,
  m: Measured,
  extra: { counted: number | null; error: string | undefined; s3Cpu: number | undefined; gcsCpu: number | undefined; gcsRss: number | undefined },
): ObjectRunJson {
  const { set } = src;
  const bytes = setBytes(set);
  const ok = extra.error === undefined && m.seconds !== undefined && m.seconds > 0;
  const rate = (secs: number | undefined, per: number): number | null => (ok && secs ? round(per / secs, 1) : null);
  return {
    tool,
    phase: set.phase,
    round: round_,
    label: `${tool} ${tool === 'ferry' ? 'run' : 'copy'}, ${set.phase}`,
    bucket,
    objects: set.count,
    mb: round(bytes / MIB, 1),
    seconds: orNull(m.seconds, 2),
    objects_per_s: rate(m.seconds, set.count),
    mb_per_s: rate(m.seconds, bytes / MIB),
    seconds_with_verify: orNull(m.secondsWithVerify, 2),
    objects_per_s_with_verify: rate(m.secondsWithVerify, set.count),
    mb_per_s_with_verify: rate(m.secondsWithVerify, bytes / MIB),
    wall_seconds: orNull(m.wallSeconds, 2),
    counted: extra.counted,
    ok,
    ...(extra.error === undefined ? {} : { error: extra.error }),
    client_cpu_pct: pct(m.clientCpuSeconds, m.wallSeconds),
    s3_cpu_pct: pct(extra.s3Cpu, m.wallSeconds),
    gcs_cpu_pct: pct(extra.gcsCpu, m.wallSeconds),
    peak_rss_mb: mbOf(m.peakRssBytes),
    gcs_rss_mb: extra.gcsRss === undefined ? null : round(extra.gcsRss / MIB),
  };
}

/** Medians per set and tool, and the ratios. */
export function setFigures(runs: readonly ObjectRunJson[], src: Pick<SourceSet, 'set'>): SetFigures {
  const { set } = src;
  const of = (tool: Tool): ObjectRunJson[] => runs.filter((r) => r.tool === tool && r.phase === set.phase && r.ok);
  const med = (rs: ObjectRunJson[], f: (r: ObjectRunJson) => number | null, digits = 1): number | null => {
    const m = median(rs.flatMap((r) => (f(r) === null ? [] : [f(r)!])));
    return m === undefined ? null : round(m, digits);
  };
  const ferry = of('ferry');
  const rclone = of('rclone');
  const small = set.phase === 'small';
  const fRate = med(ferry, (r) => (small ? r.objects_per_s : r.mb_per_s));
  const fRateV = med(ferry, (r) => (small ? r.objects_per_s_with_verify : r.mb_per_s_with_verify));
  const rRate = med(rclone, (r) => (small ? r.objects_per_s : r.mb_per_s));
  return {
    objects: set.count,
    object_bytes: set.size,
    ferry_objects_per_s: med(ferry, (r) => r.objects_per_s),
    ferry_mb_per_s: med(ferry, (r) => r.mb_per_s),
    ferry_objects_per_s_with_verify: med(ferry, (r) => r.objects_per_s_with_verify),
    ferry_mb_per_s_with_verify: med(ferry, (r) => r.mb_per_s_with_verify),
    rclone_objects_per_s: med(rclone, (r) => r.objects_per_s),
    rclone_mb_per_s: med(rclone, (r) => r.mb_per_s),
    ratio: fRate !== null && rRate ? round(fRate / rRate, 3) : null,
    ratio_with_verify: fRateV !== null && rRate ? round(fRateV / rRate, 3) : null,
    ferry_job_seconds: med(ferry, (r) => r.seconds, 2),
    ferry_verify_seconds: med(ferry, (r) => (r.seconds_with_verify !== null && r.seconds !== null ? r.seconds_with_verify - r.seconds : null), 2),
    ferry_wall_seconds: med(ferry, (r) => r.wall_seconds, 2),
    rclone_seconds: med(rclone, (r) => r.seconds, 2),
  };
}

export async function runObjects(opts: ObjectsOptions, ctx: ObjectsContext): Promise<ObjectsResult> {
  const { servers, log } = ctx;
  const s3Server = servers.objectServers.s3;
  const gcsServer = servers.objectServers.gcs;
  if (!s3Server || !gcsServer) throw new Error('the objects bench needs the S3 and GCS servers (S3_ENDPOINT, GCS_ENDPOINT)');
  const version = rcloneVersion();
  if (!version) throw new Error('rclone is not installed: `scripts/services start` installs it (Debian package rclone)');
  const env = servers.env;
  const notes: string[] = [...servers.notes];
  const mach = machine();
  const s3: S3Client = benchS3(env);
  const storage: Storage = benchStorage(env);
  const runs: ObjectRunJson[] = [];
  const sources: SourceSet[] = [];
  const flags = rcloneCopyFlags(opts);
  let ferryCommand: string | null = null;
  let rcloneCommand: string | null = null;
  const s3Remote = (prefix: string): string =>
    `${rcloneS3Remote({ endpoint: s3Server.endpoint, accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '' }, SOURCE_BUCKET)}/${prefix}`;

  try {
    for (const set of objectSets(opts)) sources.push(await ensureSourceSet(s3, set, log, ctx.interrupted));

    const measure = async (tool: Tool, src: SourceSet, round_: number, suffix: string, body: (bucket: string) => Promise<Measured>): Promise<void> => {
      const bucket = targetBucketName(src.set.phase, tool, round_);
      const label = `${tool}, ${src.set.phase} set (${describeSet(src.set)})${suffix}`;
      log(`${label}: copying into gs://${bucket}`);
      let m: Measured = { seconds: undefined, secondsWithVerify: undefined, wallSeconds: undefined, clientCpuSeconds: undefined, peakRssBytes: undefined };
      let counted: number | null = null;
      let error: string | undefined;
      let s3Cpu: number | undefined;
      let gcsCpu: number | undefined;
      let gcsRss: number | undefined;
      try {
        const s0 = cpuOf(s3Server.pid);
        const g0 = cpuOf(gcsServer.pid);
        m = await body(bucket);
        const s1 = cpuOf(s3Server.pid);
        const g1 = cpuOf(gcsServer.pid);
        if (s0 !== undefined && s1 !== undefined) s3Cpu = s1 - s0;
        if (g0 !== undefined && g1 !== undefined) gcsCpu = g1 - g0;
        gcsRss = gcsServer.pid ? readMemory(gcsServer.pid)?.rss : undefined;
        error = m.error;
        const check = compareListings(src.listing, await listGcs(storage, bucket, src.set.prefix));
        counted = check.objects;
        error ??= checkError(check, bucket);
      } catch (e) {
        if (isInterrupted(e) || ctx.interrupted()) throw e;
        error = message(e);
      }
      await deleteGcsBucket(storage, bucket).catch((e: unknown) => log(`could not delete gs://${bucket}: ${message(e)}`));
      const r = objectRunJson(tool, round_, src, bucket, m, { counted, error, s3Cpu, gcsCpu, gcsRss });
      runs.push(r);
      const rate = r.ok
        ? `${n(r.objects_per_s)} objects/s, ${r.mb_per_s?.toFixed(1)} MB/s in ${r.seconds?.toFixed(2)} s` +
          (r.seconds_with_verify !== null ? ` (${r.seconds_with_verify.toFixed(2)} s with verify)` : '')
        : 'FAILED';
      log(`${label}: ${rate}${r.error ? ` (${r.error})` : ''}`);
    };

    const ferryStep = (src: SourceSet) => async (round_: number, suffix: string): Promise<void> =>
      measure('ferry', src, round_, suffix, async (bucket) => {
        const r = await runFerryChild({
          plan: objectsPlanYaml({
            sourceBucket: SOURCE_BUCKET,
            prefix: src.set.prefix,
            targetBucket: bucket,
            transfers: opts.transfers,
            partSizeMb: opts.partSizeMb,
            ...(opts.largeTransfers === undefined ? {} : { largeTransfers: opts.largeTransfers }),
            concurrency: opts.concurrency,
            batchSize: opts.batchSize,
          }),
          root: ctx.root,
          env,
          ...(opts.cpuProf ? { cpuProfDir: opts.cpuProf } : {}),
          onSpawn: (child) => ctx.onChild?.(child),
        });
        ctx.onChild?.(undefined);
        ferryCommand ??= r.command;
        if (ctx.interrupted()) throw new Error('interrupted');
        let error = ferryRunError(r, src.set.count);
        if (!error && r.verifyOutcome !== 'match') error = `ferry's verification: ${r.verifyOutcome ?? 'no report'}`;
        return {
          seconds: r.jobSeconds,
          secondsWithVerify: r.jobSeconds !== undefined && r.verifySeconds !== undefined ? r.jobSeconds + r.verifySeconds : undefined,
          wallSeconds: r.wallSeconds,
          clientCpuSeconds: r.cpuSeconds,
          peakRssBytes: r.peakRssBytes,
          ferry: r,
          ...(error ? { error } : {}),
        };
      });

    const rcloneStep = (src: SourceSet) => async (round_: number, suffix: string): Promise<void> =>
      measure('rclone', src, round_, suffix, async (bucket) => {
        await createGcsBucket(storage, bucket);
        const args = ['copy', s3Remote(src.set.prefix), `${rcloneGcsRemote(gcsServer.endpoint, bucket)}/${src.set.prefix}`, ...flags];
        rcloneCommand ??= `rclone --config /dev/null ${redactRcloneArgs(args)}`;
        const r = await runRclone(args, env);
        if (ctx.interrupted()) throw new Error('interrupted');
        const how = r.signal ? `was killed by ${r.signal}` : `exited ${r.code}`;
        return {
          seconds: r.seconds,
          secondsWithVerify: undefined,
          wallSeconds: r.seconds,
          clientCpuSeconds: r.cpuSeconds,
          peakRssBytes: r.peakRssBytes,
          rclone: r,
          ...(r.code === 0 ? {} : { error: `rclone ${how}: ${r.stderrTail.join(' | ') || 'no message'}` }),
        };
      });

    await runRounds(
      sources.flatMap((src) => [ferryStep(src), rcloneStep(src)]),
      opts.repeat,
    );
  } finally {
    s3.destroy();
  }

  const sets: Partial<Record<Phase, SetFigures>> = {};
  for (const src of sources) sets[src.set.phase] = setFigures(runs, src);
  const small = sets.small;
  const large = sets.large;
  const peak = (tool: Tool): number | null => {
    const xs = runs.filter((r) => r.tool === tool && r.peak_rss_mb !== null).map((r) => r.peak_rss_mb!);
    return xs.length > 0 ? Math.max(...xs) : null;
  };

  notes.push(
    `${mach.cpus} CPUs, 1-minute load ${mach.load_avg_1m.toFixed(2)} at start; the S3 server, the GCS server and the copying process (ferry child or rclone) all run on this machine and compete for the same cores`,
  );
  notes.push(
    'ferry objects/s and MB/s use the job\'s own duration (job.done: listing, copying with an MD5 proof per object, checkpoints), which leaves out process start-up; "with verify" adds the time to the verification report (verify.done: both sides listed again, names, sizes and MD5s compared); rclone\'s use its wall clock, start-up included (rclone checks each upload\'s MD5 against the source\'s, and does no second listing)',
  );
  notes.push(`rclone flags: ${flags.join(' ')} (--config /dev/null; everything else rclone's defaults: GCS uploads in one request up to 16 MiB, resumable in 16 MiB chunks above)`);
  notes.push(
    `ferry's plan: transfers ${opts.transfers}, large_transfers ${opts.largeTransfers ?? '4 (its default)'}, GCS part_size_mb ${opts.partSizeMb}${opts.partSizeMb === DEFAULT_BENCH_PART_SIZE_MB ? ' (rclone\'s chunk size; ferry\'s default is 8)' : ''}, limits.concurrency ${opts.concurrency}, batch_size ${opts.batchSize}, verify [count, checksum]`,
  );
  if (opts.repeat > 1) notes.push(`${opts.repeat} rounds, interleaved and rotated: rates are medians, peak RSS the largest`);
  notes.push('every target bucket was fresh, and listed by the bench afterwards: names, sizes and MD5s compared with the source, then deleted');
  if (sources.some((s) => s.reused)) notes.push(`source s3://${SOURCE_BUCKET}: ${sources.filter((s) => s.reused).map((s) => s.set.prefix).join(' and ')} reused from an earlier bench`);
  if (small?.ratio != null && small.ratio < GOAL_RATIO_OBJECTS) notes.push(`ferry is below the goal of ${GOAL_RATIO_OBJECTS}× rclone on small objects`);
  if (large?.ratio != null && large.ratio < GOAL_RATIO_MB) notes.push(`ferry is below the goal of ${GOAL_RATIO_MB}× rclone on large objects`);

  return {
    ferry_objects_per_s: small?.ferry_objects_per_s ?? null,
    rclone_objects_per_s: small?.rclone_objects_per_s ?? null,
    ferry_mb_per_s: large?.ferry_mb_per_s ?? null,
    rclone_mb_per_s: large?.rclone_mb_per_s ?? null,
    ratio_objects: small?.ratio ?? null,
    ratio_mb: large?.ratio ?? null,
    peak_rss_mb: peak('ferry'),
    ferry_objects_per_s_with_verify: small?.ferry_objects_per_s_with_verify ?? null,
    ferry_mb_per_s_with_verify: large?.ferry_mb_per_s_with_verify ?? null,
    ratio_objects_with_verify: small?.ratio_with_verify ?? null,
    ratio_mb_with_verify: large?.ratio_with_verify ?? null,
    rclone_peak_rss_mb: peak('rclone'),
    s3_server: s3Server.what,
    gcs_server: gcsServer.what,
    notes,
    ok: runs.length > 0 && runs.every((r) => r.ok),
    details: {
      sets,
      ferry: {
        transfers: opts.transfers,
        large_transfers: opts.largeTransfers ?? null,
        part_size_mb: opts.partSizeMb,
        concurrency: opts.concurrency, batch_size: opts.batchSize,
        verify: ['count', 'checksum'],
        command: ferryCommand,
      },
      rclone: { version: version ?? null, flags, command: rcloneCommand },
      rounds: opts.repeat,
      runs,
      source: {
        bucket: SOURCE_BUCKET,
        sets: sources.map((s) => ({ phase: s.set.phase, prefix: s.set.prefix, objects: s.set.count, object_bytes: s.set.size, reused: s.reused, load_seconds: round(s.seconds, 2) })),
      },
      machine: mach,
      ferry_commit: ferryCommit(ctx.root),
    },
  };
}

const f1 = (v: number | null): string => (v === null ? '-' : v.toFixed(1));
const secs = (v: number | null): string => (v === null ? '-' : v.toFixed(2));

/** The human table. */
export function formatObjects(r: ObjectsResult): string {
  const d = r.details;
  const rows: string[][] = [['run', 'objects', 'MB', 'seconds', 'objects/s', 'MB/s', '+verify s', 'S3 CPU', 'GCS CPU', 'copier CPU', 'peak RSS', '']];
  for (const run of d.runs) {
    const verify = run.seconds_with_verify !== null && run.seconds !== null ? (run.seconds_with_verify - run.seconds).toFixed(2) : '-';
    rows.push([
      d.rounds > 1 ? `${run.label} #${run.round}` : run.label,
      n(run.counted ?? run.objects),
      f1(run.mb),
      secs(run.seconds),
      run.ok ? n(run.objects_per_s) : 'FAILED',
      run.ok ? f1(run.mb_per_s) : '-',
      verify,
      pctText(run.s3_cpu_pct),
      pctText(run.gcs_cpu_pct),
      pctText(run.client_cpu_pct),
      run.peak_rss_mb === null ? '-' : `${run.peak_rss_mb.toFixed(0)} MB`,
      run.error ?? '',
    ]);
  }
  const setLine = (phase: Phase): string[] => {
    const s = d.sets[phase];
    if (!s) return [];
    const what = `${s.objects.toLocaleString('en-US')} × ${phase === 'small' ? `${Math.round(s.object_bytes / 1024)} KiB` : `${Math.round(s.object_bytes / MIB)} MiB`}`;
    if (phase === 'small') {
      return [
        `small set (${what}): ferry ${n(s.ferry_objects_per_s)} objects/s (${n(s.ferry_objects_per_s_with_verify)} with verify) · rclone ${n(s.rclone_objects_per_s)} objects/s`,
        `  ratio_objects = ferry / rclone = ${ratioText(s.ratio)}   (goal ≥ ${GOAL_RATIO_OBJECTS}; with ferry's verify ${ratioText(s.ratio_with_verify)})`,
      ];
    }
    return [
      `large set (${what}): ferry ${f1(s.ferry_mb_per_s)} MB/s (${f1(s.ferry_mb_per_s_with_verify)} with verify) · rclone ${f1(s.rclone_mb_per_s)} MB/s`,
      `  ratio_mb      = ferry / rclone = ${ratioText(s.ratio)}   (goal ≥ ${GOAL_RATIO_MB}; with ferry's verify ${ratioText(s.ratio_with_verify)})`,
    ];
  };
  const out = [
    `objects: S3 (${r.s3_server}) → GCS (${r.gcs_server}), source s3://${d.source.bucket}; ferry transfers ${d.ferry.transfers}, large_transfers ${d.ferry.large_transfers ?? '4 (default)'}, GCS part_size_mb ${d.ferry.part_size_mb}; rclone ${d.rclone.flags.join(' ')}`,
    '',
    ...formatTable(rows),
    'seconds: ferry = the job (job.done), rclone = its wall clock; +verify = ferry\'s verification after the job; CPU: % of one core over the process\'s wall clock; MB = 2^20 bytes',
    '',
    ...(d.rounds > 1 ? ['medians:'] : []),
    ...setLine('small'),
    ...setLine('large'),
    `peak RSS: ferry child ${r.peak_rss_mb === null ? 'unknown' : `${r.peak_rss_mb.toFixed(1)} MB`}, rclone ${r.rclone_peak_rss_mb === null ? 'unknown' : `${r.rclone_peak_rss_mb.toFixed(1)} MB`}`,
    '',
    ...r.notes.map((t) => `- ${t}`),
    '',
    r.ok ? 'all runs complete: every target held exactly the source\'s objects (names, sizes, MD5s)' : 'FAILED: at least one run did not complete or its target differs from the source',
  ];
  return out.join('\n');
}
