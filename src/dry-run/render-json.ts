/**
 * The dry-run report as stable, pretty JSON (2 spaces, trailing newline): the same data as the report object, with
 * its fields always in the order report.ts declares them (fields added later follow, sorted by name), so two runs'
 * reports diff line by line whatever order the collector filled them in. Sample records (`before`, `after`) are
 * kept exactly as read, in their own field order; nothing is shortened. `JSON.parse(renderJson(r))` equals `r`.
 */
import { put, safeStringify } from './render-format.js';
import type { DryRunReport } from './report.js';

/** How each object in the report is ordered: its known keys, and how to order the values under them. */
interface Shape {
  keys: readonly string[];
  /** Per key: the shape of an object value, or of each element of an array value; `sorted` for a map. */
  under?: Readonly<Record<string, Shape | 'sorted' | 'as-is'>>;
}

const FINDING: Shape = { keys: ['severity', 'stream', 'code', 'message', 'fix', 'keys'] };
const SAMPLE: Shape = { keys: ['key', 'before', 'after', 'targetBytes', 'problems'], under: { before: 'as-is', after: 'as-is' } };
const COST: Shape = { keys: ['what', 'quantity', 'unit', 'unitPrice', 'per', 'amount'] };
const STREAM: Shape = {
  keys: ['stream', 'target', 'count', 'bytes', 'segments', 'samples', 'targetState', 'estimate'],
  under: {
    count: { keys: ['value', 'exact', 'method'] },
    bytes: { keys: ['value', 'exact', 'method'] },
    segments: { keys: ['id', 'estimate', 'describe'] },
    samples: SAMPLE,
    targetState: {
      keys: ['exists', 'empty', 'items', 'keySchema', 'keyMatches', 'created', 'capacity', 'notes'],
      under: { capacity: { keys: ['mode', 'readUnits', 'writeUnits'] } },
    },
    estimate: { keys: ['durationS', 'limitedBy', 'units', 'cost'], under: { units: 'sorted', cost: COST } },
  },
};
const REPORT: Shape = {
  keys: ['version', 'generatedAt', 'plan', 'sampleSize', 'streams', 'totals', 'prices', 'findings', 'verdict'],
  under: {
    plan: { keys: ['name', 'path', 'hash', 'source', 'target'] },
    streams: STREAM,
    totals: { keys: ['items', 'bytes', 'durationS', 'cost', 'currency'] },
    prices: { keys: ['date', 'currency', 'source', 'overridden'] },
    findings: FINDING,
  },
};

function isObjectNode(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function order(value: unknown, shape: Shape | 'sorted' | 'as-is' | undefined): unknown {
  if (shape === 'as-is') return value;
  if (Array.isArray(value)) return value.map((v) => order(v, shape));
  if (!isObjectNode(value)) return value;
  if (shape === undefined || shape === 'sorted') {
    // Unknown objects (added fields) and maps: keys sorted, all the way down.
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) put(out, k, order(value[k], undefined));
    return out;
  }
  const out: Record<string, unknown> = {};
  const known = new Set(shape.keys);
  for (const k of shape.keys) if (Object.hasOwn(value, k)) put(out, k, order(value[k], shape.under?.[k]));
  for (const k of Object.keys(value).filter((k) => !known.has(k)).sort()) put(out, k, order(value[k], undefined));
  return out;
}

export function renderJson(r: DryRunReport): string {
  return `${safeStringify(order(r, REPORT), 2) ?? 'null'}\n`;
}
