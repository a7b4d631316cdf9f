/**
 * Command line of `npm run bench` (bin/bench.js): `BENCH [--rows N | --items N] [--json] [--skip-naive] ...`.
 * Pure: no I/O, so it is unit-tested.
 */

export const BENCHES = ['pg-dynamodb', 'dynamodb-firestore'] as const;
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

export const DEFAULT_ROWS = 200_000;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_BATCH_SIZE = 1000;
export const DEFAULT_CEILING = [8, 16];

export const DEFAULT_ITEMS = 100_000;
export const DEFAULT_FIRESTORE_CEILING = [4, 8, 16];
export const DEFAULT_NAIVE_ITEMS = 2_000;
export const DEFAULT_NAIVE_SECONDS = 60;

export const USAGE = `usage: npm run bench -- <bench> [options]

benches:
  pg-dynamodb        PostgreSQL → DynamoDB: a ferry job (child process, checkpoints on) against a naive
                     BatchWriteItem loop and the server's raw ceiling, on the same DynamoDB server
  dynamodb-firestore DynamoDB → Firestore: a ferry job (child process, checkpoints on) against a naive loop of
                     one awaited set() per document and the raw ceiling of parallel 500-document batched
                     commits, on the same Firestore emulator

options:
  --rows N           pg-dynamodb: rows to generate and move (default ${DEFAULT_ROWS}; 200k and 1m are accepted)
  --items N          dynamodb-firestore: items to load into DynamoDB and move (default ${DEFAULT_ITEMS}; 10k, 1m)
  --json             print one JSON object instead of the table
  --skip-naive       leave out the naive loop
  --naive-items N    dynamodb-firestore: the naive loop writes the first N documents only (default ${DEFAULT_NAIVE_ITEMS})
  --naive-seconds S  dynamodb-firestore: ... or stops after S seconds (default ${DEFAULT_NAIVE_SECONDS}); its rate is
                     extrapolated to all items, and the output says so
  --concurrency N    ferry's limits.concurrency (default ${DEFAULT_CONCURRENCY})
  --batch-size N     ferry's limits.batch_size (default ${DEFAULT_BATCH_SIZE})
  --ceiling A,B      raw ceiling: writer counts (pg-dynamodb, default ${DEFAULT_CEILING.join(',')}) or commits in
                     flight (dynamodb-firestore, default ${DEFAULT_FIRESTORE_CEILING.join(',')}); the best is reported
  --repeat N         run every measurement N times, interleaved, and report medians (default 1)
  --cpu-prof DIR     write a V8 CPU profile of the ferry child to DIR (node --cpu-prof)
  -h, --help         this text

Servers: PGURL, DYNAMODB_ENDPOINT and FIRESTORE_EMULATOR_HOST from the environment; whichever a bench needs and
is missing is started with \`scripts/services start\` and stopped again at the end.
Exit codes: 0 done, 1 a run failed or lost items, 2 invalid usage, 130 interrupted.`;

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export type ParsedBenchArgs =
  | { help: true }
  | { help: false; bench: 'pg-dynamodb'; options: PgDynamoDbOptions }
  | { help: false; bench: 'dynamodb-firestore'; options: DynamoDbFirestoreOptions };

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

function parseList(text: string, flag: string): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new BenchUsageError(`${flag} wants a list of writer counts such as 8,16`);
  const out = parts.map((p) => parseCount(p, flag));
  if (out.some((n) => n > 256)) throw new BenchUsageError(`${flag}: at most 256 writers`);
  return [...new Set(out)];
}

/** Flags and whether they take a value; the ones that belong to one bench only say which. */
const FLAGS: Record<string, { value: boolean; only?: BenchName }> = {
  '--rows': { value: true, only: 'pg-dynamodb' },
  '--items': { value: true, only: 'dynamodb-firestore' },
  '--naive-items': { value: true, only: 'dynamodb-firestore' },
  '--naive-seconds': { value: true, only: 'dynamodb-firestore' },
  '--json': { value: false },
  '--skip-naive': { value: false },
  '--concurrency': { value: true },
  '--batch-size': { value: true },
  '--ceiling': { value: true },
  '--repeat': { value: true },
  '--cpu-prof': { value: true },
};

export function parseBenchArgs(argv: readonly string[]): ParsedBenchArgs {
  const args = [...argv];
  if (args.includes('-h') || args.includes('--help')) return { help: true };
  const positionals: string[] = [];
  /** Flag → its value ('' for a flag without one), in the order given. */
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const spec = FLAGS[flag];
    if (!spec) throw new BenchUsageError(`unknown option ${flag}`);
    if (given.has(flag)) throw new BenchUsageError(`${flag} is given twice`);
    if (!spec.value) {
      if (inline !== undefined) throw new BenchUsageError(`${flag} takes no value`);
      given.set(flag, '');
      continue;
    }
    if (inline !== undefined) {
      given.set(flag, inline);
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || (next.startsWith('-') && next !== '-')) throw new BenchUsageError(`${flag} needs a value`);
    i += 1;
    given.set(flag, next);
  }
  if (positionals.length === 0) throw new BenchUsageError(`name a bench: ${BENCHES.join(', ')}`);
  if (positionals.length > 1) throw new BenchUsageError(`one bench at a time (got ${positionals.join(' ')})`);
  const name = positionals[0]!;
  if (!(BENCHES as readonly string[]).includes(name)) throw new BenchUsageError(`unknown bench "${name}"; known: ${BENCHES.join(', ')}`);
  const bench = name as BenchName;

  for (const flag of given.keys()) {
    const only = FLAGS[flag]!.only;
    if (only && only !== bench) {
      const count = bench === 'pg-dynamodb' ? '--rows' : '--items';
      throw new BenchUsageError(`${flag} is an option of ${only}, not of ${bench}${flag === '--rows' || flag === '--items' ? ` (it counts ${count})` : ''}`);
    }
  }

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
  const items = count('--items', DEFAULT_ITEMS);
  const naiveItems = Math.min(items, count('--naive-items', DEFAULT_NAIVE_ITEMS));
  const naiveSeconds = count('--naive-seconds', DEFAULT_NAIVE_SECONDS);
  if (naiveSeconds > 3600) throw new BenchUsageError('--naive-seconds: at most 3600');
  return { help: false, bench, options: { items, naiveItems, naiveSeconds, ...common } };
}
