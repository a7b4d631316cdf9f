/**
 * Command line of `npm run bench` (bin/bench.js): `BENCH [--rows N | --items N] [--json] [--skip-naive] ...`.
 * Pure: no I/O, so it is unit-tested. The tokens are read by yargs' own parser (yargs/helpers); this file says
 * which flags belong to which bench and what values they accept.
 */
import { Parser } from 'yargs/helpers';

export const BENCHES = ['pg-dynamodb', 'dynamodb-firestore', 'objects', 'verify', 'workers', 'backup'] as const;
export type BenchName = (typeof BENCHES)[number];

/** Options every bench takes. */
export interface CommonBenchOptions {
  /** One JSON object on stdout instead of the table. */
  json: boolean;
  /** Leave out the naive loop. */
  skipNaive: boolean;
  /** The ferry plan's `limits.concurrency` (segments at once). */
  concurrency: number;
  /** The ferry plan's `limits.batch_size` (items per source read, and per checkpoint). */
  batchSize: number;
  /** Writer counts (pg-dynamodb) or commits in flight (dynamodb-firestore) the raw ceiling tries; the best is reported. */
  ceiling: number[];
  /** Rounds of every run (interleaved: ceiling, ferry, naive, ceiling, ...); medians are reported. */
  repeat: number;
  /** Directory for `node --cpu-prof` profiles of the ferry child. */
  cpuProf?: string;
}

export interface PgDynamoDbOptions extends CommonBenchOptions {
  /** Rows generated in PostgreSQL and written by every run. */
  rows: number;
}

export interface DynamoDbFirestoreOptions extends CommonBenchOptions {
  /** Items loaded into the DynamoDB source table, and documents written by the ferry and ceiling runs. */
  items: number;
  /** The naive loop stops after this many documents (its rate is extrapolated to `items`)... */
  naiveItems: number;
  /** ... or after this many seconds, whichever comes first. */
  naiveSeconds: number;
}

/** `verify`: a checksum after a PostgreSQL → DynamoDB copy with 3 differences, ferry's default against --read-all. */
export interface VerifyBenchOptions {
  json: boolean;
  rows: number;
  concurrency: number;
  batchSize: number;
  repeat: number;
}

/** `workers`: the same PostgreSQL → DynamoDB job by 1, 2, 4 workers on the PostgreSQL state, beside `ferry run`. */
export interface WorkersOptions {
  json: boolean;
  rows: number;
  /** Worker counts to run, each its own job. */
  workers: number[];
  /** limits.concurrency of each worker. */
  concurrency: number;
  batchSize: number;
  repeat: number;
}

/** `backup`: PostgreSQL → S3 backup at each row count, and a restore into DynamoDB, against the servers' ceilings. */
export interface BackupBenchOptions {
  json: boolean;
  /** Row counts to back up, in order (peak RSS at each); the restore runs at the first. */
  rows: number[];
  concurrency: number;
  batchSize: number;
  /** Writer counts of the PUT and BatchWriteItem ceilings. */
  ceiling: number[];
  skipRestore: boolean;
}

/** `objects`: S3 → GCS, ferry against `rclone copy`, a set of small objects and a set of large ones. */
export interface ObjectsOptions {
  json: boolean;
  /** Small objects (0 leaves the small set out) and their size in KiB. */
  small: number;
  smallKb: number;
  /** Large objects (0 leaves the large set out) and their size in MiB. */
  large: number;
  largeMb: number;
  /** ferry's `transfers` (objects in flight) and rclone's `--transfers`. */
  transfers: number;
  /** rclone's `--checkers`. */
  checkers: number;
  /** ferry's GCS `part_size_mb`: single-request uploads up to it, resumable chunks of it above. */
  partSizeMb: number;
  /** ferry's `large_transfers`; undefined leaves ferry's default. */
  largeTransfers?: number;
  /** The ferry plan's `limits.concurrency` (key ranges listed and copied at once). */
  concurrency: number;
  /** The ferry plan's `limits.batch_size` (names per listing batch, and per checkpoint). */
  batchSize: number;
  repeat: number;
  cpuProf?: string;
}

export const DEFAULT_ROWS = 200_000;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_BATCH_SIZE = 1000;
export const DEFAULT_CEILING = [8, 16];

export const DEFAULT_WORKERS = [1, 2, 4];

export const DEFAULT_ITEMS = 100_000;
export const DEFAULT_FIRESTORE_CEILING = [4, 8, 16];
export const DEFAULT_NAIVE_ITEMS = 2_000;
export const DEFAULT_NAIVE_SECONDS = 60;

export const DEFAULT_SMALL = 2_000;
export const DEFAULT_SMALL_KB = 16;
export const DEFAULT_LARGE = 8;
export const DEFAULT_LARGE_MB = 64;
export const DEFAULT_TRANSFERS = 16;
/**
 * The chunk size of rclone's GCS uploads (the Go API client's default, googleapi.DefaultUploadChunkSize: a single
 * request up to it, resumable chunks of it above), so that both tools send the same requests. ferry's own default
 * part_size_mb is 8.
 */
export const DEFAULT_BENCH_PART_SIZE_MB = 16;
export const DEFAULT_OBJECTS_CONCURRENCY = 4;
export const DEFAULT_OBJECTS_BATCH_SIZE = 500;
/** Both emulators keep every object in memory (the source set, and each run's copy until it is deleted). */
export const MAX_OBJECTS_DATASET_BYTES = 4 * 2 ** 30;

export const USAGE = `usage: npm run bench -- <bench> [options]

benches:
  pg-dynamodb        PostgreSQL → DynamoDB: a ferry job (child process, checkpoints on) against a naive
                     BatchWriteItem loop and the server's raw ceiling, on the same DynamoDB server
  dynamodb-firestore DynamoDB → Firestore: a ferry job (child process, checkpoints on) against a naive loop of
                     one awaited set() per document and the raw ceiling of parallel 500-document batched
                     commits, on the same Firestore emulator
  verify             PostgreSQL → DynamoDB checksum with 3 differences: \`ferry verify\` (PostgreSQL digests its
                     own rows, differing buckets selected and fetched by key) against \`ferry verify --read-all\`
                     (ferry reads and hashes everything), same data, same servers
  objects            S3 → GCS: a ferry job (child process, verification on) against \`rclone copy\` with as many
                     transfers, on the same S3 server and GCS server; a set of small objects and a set of large
                     ones, measured separately (objects/s and MB/s)
  backup             PostgreSQL → S3 backup (typed NDJSON) against PUTs of the same files to the same S3 server, at
                     each --rows size (is peak RSS flat?), and its restore into DynamoDB against the same
                     server's BatchWriteItem ceiling
  workers            PostgreSQL → DynamoDB by 1, 2 and 4 \`ferry worker\` processes on the shared PostgreSQL state,
                     beside \`ferry run\` on SQLite, same table, same servers: the coordination's cost and scaling

options:
  --rows N           pg-dynamodb, verify, workers: rows to generate and move (default ${DEFAULT_ROWS}; 200k and 1m are accepted);
                     backup: a list, e.g. 200k,1m (each backed up; the restore runs at the first)
  --skip-restore     backup: back up only
  --items N          dynamodb-firestore: items to load into DynamoDB and move (default ${DEFAULT_ITEMS}; 10k, 1m)
  --small N          objects: small objects in the source (default ${DEFAULT_SMALL}; 0 leaves the small set out)
  --small-kb K       objects: size of a small object in KiB (default ${DEFAULT_SMALL_KB})
  --large N          objects: large objects in the source (default ${DEFAULT_LARGE}; 0 leaves the large set out)
  --large-mb M       objects: size of a large object in MiB (default ${DEFAULT_LARGE_MB})
  --transfers N      objects: ferry's \`transfers\` and rclone's --transfers (default ${DEFAULT_TRANSFERS})
  --checkers N       objects: rclone's --checkers (default: as --transfers)
  --part-size-mb M   objects: ferry's GCS part_size_mb (default ${DEFAULT_BENCH_PART_SIZE_MB}, rclone's GCS chunk size; ferry's own
                     default is 8)
  --large-transfers N  objects: ferry's large_transfers (default: ferry's own, 4)
  --workers A,B      workers: the worker counts to run (default ${DEFAULT_WORKERS.join(',')})
  --json             print one JSON object instead of the table
  --skip-naive       leave out the naive loop
  --naive-items N    dynamodb-firestore: the naive loop writes the first N documents only (default ${DEFAULT_NAIVE_ITEMS})
  --naive-seconds S  dynamodb-firestore: ... or stops after S seconds (default ${DEFAULT_NAIVE_SECONDS}); its rate is
                     extrapolated to all items, and the output says so
  --concurrency N    ferry's limits.concurrency (default ${DEFAULT_CONCURRENCY}; objects ${DEFAULT_OBJECTS_CONCURRENCY})
  --batch-size N     ferry's limits.batch_size (default ${DEFAULT_BATCH_SIZE}; objects ${DEFAULT_OBJECTS_BATCH_SIZE})
  --ceiling A,B      raw ceiling: writer counts (pg-dynamodb, default ${DEFAULT_CEILING.join(',')}) or commits in
                     flight (dynamodb-firestore, default ${DEFAULT_FIRESTORE_CEILING.join(',')}); the best is reported
  --repeat N         run every measurement N times, interleaved, and report medians (default 1)
  --cpu-prof DIR     write a V8 CPU profile of the ferry child to DIR (node --cpu-prof)
  -h, --help         this text

Servers: PGURL, DYNAMODB_ENDPOINT, FIRESTORE_EMULATOR_HOST, S3_ENDPOINT and GCS_ENDPOINT from the environment;
whichever a bench needs and is missing is started with \`scripts/services start\` and stopped again at the end.
The objects bench also needs rclone (Debian's package; \`scripts/services start\` installs it).
Exit codes: 0 done, 1 a run failed or lost items, 2 invalid usage, 130 interrupted.`;

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export type ParsedBenchArgs =
  | { help: true }
  | { help: false; bench: 'pg-dynamodb'; options: PgDynamoDbOptions }
  | { help: false; bench: 'dynamodb-firestore'; options: DynamoDbFirestoreOptions }
  | { help: false; bench: 'objects'; options: ObjectsOptions }
  | { help: false; bench: 'verify'; options: VerifyBenchOptions }
  | { help: false; bench: 'workers'; options: WorkersOptions }
  | { help: false; bench: 'backup'; options: BackupBenchOptions };

/** `200000`, `200_000`, `200k`, `1m`, `1M` → a positive integer; anything else is a usage error. */
export function parseCount(text: string, flag: string): number {
  const m = /^(\d[\d_]*)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new BenchUsageError(`${flag} wants a positive whole number (e.g. 200000, 200k, 1m), not "${text}"`);
  const base = Number(m[1]!.replaceAll('_', ''));
  const mult = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1_000 : 1_000_000;
  const n = base * mult;
  if (!Number.isSafeInteger(n) || n < 1) throw new BenchUsageError(`${flag} wants a positive whole number, not "${text}"`);
  return n;
}

/** Like parseCount, but 0 is allowed (it leaves a set out). */
export function parseCountOrZero(text: string, flag: string): number {
  return /^\s*0+\s*$/.test(text) ? 0 : parseCount(text, flag);
}

function parseList(text: string, flag: string): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new BenchUsageError(`${flag} wants a list of writer counts such as 8,16`);
  const out = parts.map((p) => parseCount(p, flag));
  if (out.some((n) => n > 256)) throw new BenchUsageError(`${flag}: at most 256 writers`);
  return [...new Set(out)];
}

const TABLE_BENCHES: readonly BenchName[] = ['pg-dynamodb', 'dynamodb-firestore'];

/** Flags and whether they take a value; the ones that belong to some benches only say which. */
const FLAGS: Record<string, { value: boolean; only?: readonly BenchName[] }> = {
  '--rows': { value: true, only: ['pg-dynamodb', 'verify', 'workers', 'backup'] },
  '--skip-restore': { value: false, only: ['backup'] },
  '--workers': { value: true, only: ['workers'] },
  '--items': { value: true, only: ['dynamodb-firestore'] },
  '--naive-items': { value: true, only: ['dynamodb-firestore'] },
  '--naive-seconds': { value: true, only: ['dynamodb-firestore'] },
  '--small': { value: true, only: ['objects'] },
  '--small-kb': { value: true, only: ['objects'] },
  '--large': { value: true, only: ['objects'] },
  '--large-mb': { value: true, only: ['objects'] },
  '--transfers': { value: true, only: ['objects'] },
  '--checkers': { value: true, only: ['objects'] },
  '--part-size-mb': { value: true, only: ['objects'] },
  '--large-transfers': { value: true, only: ['objects'] },
  '--json': { value: false },
  '--skip-naive': { value: false, only: TABLE_BENCHES },
  '--concurrency': { value: true },
  '--batch-size': { value: true },
  '--ceiling': { value: true, only: [...TABLE_BENCHES, 'backup'] },
  '--repeat': { value: true },
  '--cpu-prof': { value: true },
};

/** The flags as yargs' own parser reads them: values kept as text (parseCount reads them), repeats kept. */
function tokens(args: readonly string[]): { positionals: string[]; given: Map<string, string> } {
  const names = Object.keys(FLAGS).map((f) => f.slice(2));
  const parsed = Parser.detailed([...args], {
    string: names.filter((n) => FLAGS[`--${n}`]!.value),
    boolean: names.filter((n) => !FLAGS[`--${n}`]!.value),
    configuration: {
      'camel-case-expansion': false,
      'duplicate-arguments-array': true,
      'boolean-negation': false,
      'short-option-groups': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'dot-notation': false,
      'populate--': true,
    },
  });
  if (parsed.error) throw new BenchUsageError(parsed.error.message);
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed.argv)) {
    if (key === '_' || key === '--') continue;
    const flag = key.length === 1 ? `-${key}` : `--${key}`;
    const spec = FLAGS[flag];
    if (!spec) throw new BenchUsageError(`unknown option ${flag}`);
    if (Array.isArray(value)) throw new BenchUsageError(`${flag} is given twice`);
    if (!spec.value) {
      // The parser reads `--json=x` as false; a flag without a value takes none.
      if (args.some((a) => a.startsWith(`${flag}=`))) throw new BenchUsageError(`${flag} takes no value`);
      if (value === true) given.set(flag, '');
      continue;
    }
    if (value === '' && !args.some((a) => a.startsWith(`${flag}=`))) throw new BenchUsageError(`${flag} needs a value`);
    given.set(flag, String(value));
  }
  const positionals = [...parsed.argv._, ...((parsed.argv['--'] as unknown[] | undefined) ?? [])].map(String);
  return { positionals, given };
}

export function parseBenchArgs(argv: readonly string[]): ParsedBenchArgs {
  if (argv.includes('-h') || argv.includes('--help')) return { help: true };
  const { positionals, given } = tokens(argv);
  if (positionals.length === 0) throw new BenchUsageError(`name a bench: ${BENCHES.join(', ')}`);
  if (positionals.length > 1) throw new BenchUsageError(`one bench at a time (got ${positionals.join(' ')})`);
  const name = positionals[0]!;
  if (!(BENCHES as readonly string[]).includes(name)) throw new BenchUsageError(`unknown bench "${name}"; known: ${BENCHES.join(', ')}`);
  const bench = name as BenchName;

  const counts: Record<BenchName, string> = { 'pg-dynamodb': '--rows', 'dynamodb-firestore': '--items', objects: '--small and --large', verify: '--rows', workers: '--rows', backup: '--rows' };
  for (const flag of given.keys()) {
    const only = FLAGS[flag]!.only;
    if (only && !only.includes(bench)) {
      const counting = flag === '--rows' || flag === '--items' || flag === '--small' || flag === '--large';
      const of = only.length > 1 ? `${only.slice(0, -1).join(', ')} and ${only.at(-1)!}` : only[0]!;
      throw new BenchUsageError(`${flag} is an option of ${of}, not of ${bench}${counting ? ` (it counts ${counts[bench]})` : ''}`);
    }
  }
  if (bench === 'objects') return { help: false, bench, options: parseObjectsOptions(given) };
  if (given.has('--cpu-prof') && (bench === 'verify' || bench === 'workers' || bench === 'backup')) throw new BenchUsageError(`--cpu-prof is not an option of ${bench}`);

  const common: CommonBenchOptions = {
    json: given.has('--json'),
    skipNaive: given.has('--skip-naive'),
    concurrency: DEFAULT_CONCURRENCY,
    batchSize: DEFAULT_BATCH_SIZE,
    ceiling: bench === 'pg-dynamodb' ? [...DEFAULT_CEILING] : [...DEFAULT_FIRESTORE_CEILING],
    repeat: 1,
  };
  const count = (flag: string, dflt: number): number => {
    const v = given.get(flag);
    return v === undefined ? dflt : parseCount(v, flag);
  };
  common.concurrency = count('--concurrency', common.concurrency);
  common.batchSize = count('--batch-size', common.batchSize);
  const ceiling = given.get('--ceiling');
  if (ceiling !== undefined) common.ceiling = parseList(ceiling, '--ceiling');
  common.repeat = count('--repeat', 1);
  if (common.repeat > 20) throw new BenchUsageError('--repeat: at most 20 rounds');
  const prof = given.get('--cpu-prof');
  if (prof !== undefined) {
    if (prof.trim() === '') throw new BenchUsageError('--cpu-prof needs a directory');
    common.cpuProf = prof;
  }

  if (bench === 'pg-dynamodb') return { help: false, bench, options: { rows: count('--rows', DEFAULT_ROWS), ...common } };
  if (bench === 'backup') {
    const list = given.get('--rows');
    const rows = list === undefined ? [DEFAULT_ROWS] : list.split(',').map((x) => parseCount(x, '--rows'));
    return {
      help: false,
      bench,
      options: { json: common.json, rows, concurrency: common.concurrency, batchSize: common.batchSize, ceiling: ceiling === undefined ? [4, 8] : common.ceiling, skipRestore: given.has('--skip-restore') },
    };
  }
  if (bench === 'verify') {
    return { help: false, bench, options: { json: common.json, rows: count('--rows', DEFAULT_ROWS), concurrency: common.concurrency, batchSize: common.batchSize, repeat: common.repeat } };
  }
  if (bench === 'workers') {
    const list = given.get('--workers');
    const workers = list === undefined ? [...DEFAULT_WORKERS] : parseList(list, '--workers');
    if (workers.some((w) => w > 64)) throw new BenchUsageError('--workers: at most 64 workers on one machine');
    return { help: false, bench, options: { json: common.json, rows: count('--rows', DEFAULT_ROWS), workers, concurrency: common.concurrency, batchSize: common.batchSize, repeat: common.repeat } };
  }
  const items = count('--items', DEFAULT_ITEMS);
  const naiveItems = Math.min(items, count('--naive-items', DEFAULT_NAIVE_ITEMS));
  const naiveSeconds = count('--naive-seconds', DEFAULT_NAIVE_SECONDS);
  if (naiveSeconds > 3600) throw new BenchUsageError('--naive-seconds: at most 3600');
  return { help: false, bench, options: { items, naiveItems, naiveSeconds, ...common } };
}

function parseObjectsOptions(given: ReadonlyMap<string, string>): ObjectsOptions {
  const count = (flag: string, dflt: number, zero = false): number => {
    const v = given.get(flag);
    if (v === undefined) return dflt;
    return zero ? parseCountOrZero(v, flag) : parseCount(v, flag);
  };
  const small = count('--small', DEFAULT_SMALL, true);
  const large = count('--large', DEFAULT_LARGE, true);
  if (small === 0 && large === 0) throw new BenchUsageError('--small 0 and --large 0 leave nothing to copy');
  const smallKb = count('--small-kb', DEFAULT_SMALL_KB);
  const largeMb = count('--large-mb', DEFAULT_LARGE_MB);
  if (small > 1_000_000) throw new BenchUsageError('--small: at most 1m objects');
  if (large > 10_000) throw new BenchUsageError('--large: at most 10k objects');
  if (smallKb > 64 * 1024) throw new BenchUsageError('--small-kb: at most 65536 (64 MiB); use --large-mb for larger objects');
  if (largeMb > 4096) throw new BenchUsageError('--large-mb: at most 4096');
  const total = small * smallKb * 1024 + large * largeMb * 2 ** 20;
  if (total > MAX_OBJECTS_DATASET_BYTES) {
    throw new BenchUsageError(
      `the data set would be ${(total / 2 ** 30).toFixed(1)} GiB; at most ${MAX_OBJECTS_DATASET_BYTES / 2 ** 30} GiB, since the S3 and GCS emulators keep every object in memory`,
    );
  }
  const transfers = count('--transfers', DEFAULT_TRANSFERS);
  if (transfers > 1024) throw new BenchUsageError('--transfers: at most 1024 (ferry\'s limit)');
  const checkers = count('--checkers', transfers);
  if (checkers > 1024) throw new BenchUsageError('--checkers: at most 1024');
  const partSizeMb = count('--part-size-mb', DEFAULT_BENCH_PART_SIZE_MB);
  if (partSizeMb > 1024) throw new BenchUsageError('--part-size-mb: at most 1024 (ferry\'s limit for GCS)');
  const largeTransfers = given.has('--large-transfers') ? count('--large-transfers', 1) : undefined;
  if (largeTransfers !== undefined && largeTransfers > 256) throw new BenchUsageError('--large-transfers: at most 256 (ferry\'s limit)');
  const repeat = count('--repeat', 1);
  if (repeat > 20) throw new BenchUsageError('--repeat: at most 20 rounds');
  const options: ObjectsOptions = {
    json: given.has('--json'),
    small,
    smallKb,
    large,
    largeMb,
    transfers,
    checkers,
    partSizeMb,
    ...(largeTransfers === undefined ? {} : { largeTransfers }),
    concurrency: count('--concurrency', DEFAULT_OBJECTS_CONCURRENCY),
    batchSize: count('--batch-size', DEFAULT_OBJECTS_BATCH_SIZE),
    repeat,
  };
  if (options.batchSize > 100_000) throw new BenchUsageError('--batch-size: at most 100000 (the plan\'s limit)');
  const prof = given.get('--cpu-prof');
  if (prof !== undefined) {
    if (prof.trim() === '') throw new BenchUsageError('--cpu-prof needs a directory');
    options.cpuProf = prof;
  }
  return options;
}
