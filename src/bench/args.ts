/**
 * Command line of `npm run bench` (bin/bench.js): `BENCH [--rows N] [--json] [--skip-naive] ...`.
 * Pure: no I/O, so it is unit-tested.
 */

export const BENCHES = ['pg-dynamodb'] as const;
export type BenchName = (typeof BENCHES)[number];

export interface PgDynamoDbOptions {
  /** Rows generated in PostgreSQL and written by every run. */
  rows: number;
  /** One JSON object on stdout instead of the table. */
  json: boolean;
  /** Leave out the naive loop (slow at 1M rows). */
  skipNaive: boolean;
  /** The ferry plan's `limits.concurrency` (segments at once). */
  concurrency: number;
  /** The ferry plan's `limits.batch_size` (rows per source read, and per checkpoint). */
  batchSize: number;
  /** Writer counts the raw ceiling tries; the best one is reported. */
  ceiling: number[];
  /** Rounds of every run (interleaved: ceiling, ferry, naive, ceiling, ...); medians are reported. */
  repeat: number;
  /** Directory for `node --cpu-prof` profiles of the ferry child. */
  cpuProf?: string;
}

export const DEFAULT_ROWS = 200_000;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_BATCH_SIZE = 1000;
export const DEFAULT_CEILING = [8, 16];

export const USAGE = `usage: npm run bench -- <bench> [options]

benches:
  pg-dynamodb        PostgreSQL → DynamoDB: a ferry job (child process, checkpoints on) against a naive
                     BatchWriteItem loop and the server's raw ceiling, on the same DynamoDB server

options:
  --rows N           rows to generate and move (default 200000; 200k and 1m are accepted)
  --json             print one JSON object instead of the table
  --skip-naive       leave out the naive loop (it is slow at 1M rows)
  --concurrency N    ferry's limits.concurrency (default ${DEFAULT_CONCURRENCY})
  --batch-size N     ferry's limits.batch_size (default ${DEFAULT_BATCH_SIZE})
  --ceiling A,B      writer counts the raw ceiling tries, best reported (default ${DEFAULT_CEILING.join(',')})
  --repeat N         run every measurement N times, interleaved, and report medians (default 1)
  --cpu-prof DIR     write a V8 CPU profile of the ferry child to DIR (node --cpu-prof)
  -h, --help         this text

Servers: PGURL and DYNAMODB_ENDPOINT from the environment; whichever is missing is started with
\`scripts/services start\` and stopped again at the end.
Exit codes: 0 done, 1 a run failed or lost items, 2 invalid usage, 130 interrupted.`;

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export type ParsedBenchArgs = { help: true } | { help: false; bench: BenchName; options: PgDynamoDbOptions };

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

export function parseBenchArgs(argv: readonly string[]): ParsedBenchArgs {
  const args = [...argv];
  if (args.includes('-h') || args.includes('--help')) return { help: true };
  const positionals: string[] = [];
  const options: PgDynamoDbOptions = {
    rows: DEFAULT_ROWS,
    json: false,
    skipNaive: false,
    concurrency: DEFAULT_CONCURRENCY,
    batchSize: DEFAULT_BATCH_SIZE,
    ceiling: [...DEFAULT_CEILING],
    repeat: 1,
  };
  const seen = new Set<string>();
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
    if (seen.has(flag)) throw new BenchUsageError(`${flag} is given twice`);
    seen.add(flag);
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) throw new BenchUsageError(`${flag} needs a value`);
      i += 1;
      return next;
    };
    const noValue = (): void => {
      if (inline !== undefined) throw new BenchUsageError(`${flag} takes no value`);
    };
    switch (flag) {
      case '--rows':
        options.rows = parseCount(value(), flag);
        break;
      case '--json':
        noValue();
        options.json = true;
        break;
      case '--skip-naive':
        noValue();
        options.skipNaive = true;
        break;
      case '--concurrency':
        options.concurrency = parseCount(value(), flag);
        break;
      case '--batch-size':
        options.batchSize = parseCount(value(), flag);
        break;
      case '--ceiling':
        options.ceiling = parseList(value(), flag);
        break;
      case '--repeat':
        options.repeat = parseCount(value(), flag);
        if (options.repeat > 20) throw new BenchUsageError('--repeat: at most 20 rounds');
        break;
      case '--cpu-prof': {
        const dir = value();
        if (dir.trim() === '') throw new BenchUsageError('--cpu-prof needs a directory');
        options.cpuProf = dir;
        break;
      }
      default:
        throw new BenchUsageError(`unknown option ${flag}`);
    }
  }
  if (positionals.length === 0) throw new BenchUsageError(`name a bench: ${BENCHES.join(', ')}`);
  if (positionals.length > 1) throw new BenchUsageError(`one bench at a time (got ${positionals.join(' ')})`);
  const name = positionals[0]!;
  if (!(BENCHES as readonly string[]).includes(name)) throw new BenchUsageError(`unknown bench "${name}"; known: ${BENCHES.join(', ')}`);
  return { help: false, bench: name as BenchName, options };
}
