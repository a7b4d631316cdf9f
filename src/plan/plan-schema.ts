/**
 * The JSON Schema of plans, assembled from the connector registry.
 *
 * Two flavours from one builder:
 * - `planJsonSchema()`, for editors and `ferry plan schema`: `source` / `target` are a `oneOf` over every store
 *   (each branch pinned by `type: {const}`), and a stream may carry the stream keys of any store (JSON Schema cannot
 *   make `streams[*]` depend on `source.type` without 49 if/then pairs that editors handle badly).
 * - `exactPlanSchema(source, target)`, what the loader validates with: once the types are known, exactly that
 *   source's and target's options and stream keys are allowed, so errors name the right store.
 *
 * Draft-07, using only keywords that mean the same in 2020-12 (no tuple `items`, no `definitions`).
 */
import type { ConnectorDescriptor, JsonSchema } from '../core/connector.js';
import { connectors } from '../connectors/registry.js';
import { PRICE_NAMES, PRICE_UNITS } from '../dry-run/price-units.js';
import { bool, int, object, oneOfStrings, positive, str, stringList, stringMap } from './schema-fragments.js';

export const PLAN_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

/** Rate units of `Sink` ↔ the `limits` key that sets them. */
export const RATE_LIMIT_KEYS = {
  items: 'items_per_second',
  bytes: 'bytes_per_second',
  wcu: 'wcu',
  ru: 'ru',
  writes: 'writes_per_second',
  requests: 'requests_per_second',
} as const;

/** `36h`, `7d`, `2w`: what retention durations look like (src/backup/catalog.ts reads them). */
export const DURATION: JsonSchema = { pattern: '^\\d+(\\.\\d+)?\\s*(m|h|d|w)$', 'x-expect': 'a duration: a number and a unit m, h, d or w (36h, 7d, 2w)' };

/** A backup's retention rules: the plan's `retention:`, and a scheduled job's that replaces it. */
export function retentionSchema(description: string): JsonSchema {
  return object(description, {
    keep_last: int('The N newest complete sets.', 0),
    keep_daily: int('The newest complete set of each of the last N days that have one.', 0),
    keep_weekly: int('… of each of the last N ISO weeks.', 0),
    keep_monthly: int('… of each of the last N months.', 0),
    keep_yearly: int('… of each of the last N years.', 0),
    min_age: str('Sets younger than this are always kept: a number and a unit, `36h`, `7d`, `2w`.', DURATION),
    incomplete_after: str('A set without a manifest (killed, or still running) is deleted once this old. Default 24h.', DURATION),
  });
}

export function planJsonSchema(): JsonSchema {
  return buildPlanSchema({ editor: true });
}

/** The schema a plan with these (known) connectors is validated against; `undefined` = type unknown or missing. */
export function exactPlanSchema(source: ConnectorDescriptor | undefined, target: ConnectorDescriptor | undefined, kind?: unknown): JsonSchema {
  return buildPlanSchema({ editor: false, source, target, kind: kind === 'backup' || kind === 'restore' ? kind : 'migration' });
}

interface Flavour {
  editor: boolean;
  source?: ConnectorDescriptor | undefined;
  target?: ConnectorDescriptor | undefined;
  /** A backup's target and a restore's source are a backup set, not objects: their stream keys do not apply. */
  kind?: 'migration' | 'backup' | 'restore';
}

function buildPlanSchema(f: Flavour): JsonSchema {
  return {
    ...(f.editor ? { $schema: PLAN_SCHEMA_DIALECT } : {}),
    title: 'ferry plan',
    description:
      'A ferry plan: what to move (source, target, streams), how fast (limits), and how to prove it arrived (verify). ' +
      'String values may use ${env:NAME} and ${env:NAME:-default}.',
    type: 'object',
    'x-expect': 'a mapping of plan keys (version, kind, name, source, target, streams...)',
    properties: {
      version: {
        const: 1,
        description: 'Plan format version. Always 1.',
        'x-expect': '1 (the only plan version this ferry reads)',
      },
      kind: oneOfStrings(
        ['migration', 'backup', 'restore'],
        '`migration` moves data between stores for a cutover; `backup` copies a store somewhere safe; `restore` brings a backup back.',
      ),
      name: str('Plan name: identifies the plan\'s jobs in the state DB and reports.', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$',
        'x-expect': 'a name of letters, digits, `.`, `_` or `-` (at most 100, starting with a letter or digit)',
      }),
      description: { type: 'string', description: 'Free text for humans.', 'x-expect': 'a string' },
      source: connectionSchema('source', f.editor ? 'all' : f.source),
      target: connectionSchema('target', f.editor ? 'all' : f.target),
      streams: {
        type: 'array',
        minItems: 1,
        description: 'What to move: each entry maps a source stream (table, collection, container or key prefix) to a target.',
        'x-expect': 'a list of streams',
        items: streamSchema(f),
      },
      limits: limitsSchema(),
      verify: verifySchema(),
      verify_options: object('How verification compares values (docs/canonical-form.md).', {
        unicode: oneOfStrings(
          ['exact', 'nfc'],
          '`exact` compares strings code point for code point, so NFD text where the source had NFC is a difference (every store ferry copies keeps the code points it is given). `nfc` NFC-normalises strings and field names on both sides before hashing, for a store that normalises.',
          'exact',
        ),
      }),
      on_error: object('What the job tolerates before it stops.', {
        max_rejected: int('Dead letters (items the target refused for good) allowed before the job stops.', 0, undefined, 0),
      }),
      prices: pricesSchema(),
      backup: object('kind: backup — how the backup set is written (docs/backups.md).', {
        prefix: str('Key prefix in the target bucket under which sets are written: `<prefix>/<plan>/<UTC time>-<id>/`. Default "" (the bucket\'s root).', { pattern: '^[^\\\\]*$' }),
        format: oneOfStrings(
          ['ferry', 'dynamodb'],
          '`ferry`: typed NDJSON, lossless for every type ferry maps. `dynamodb` (DynamoDB sources): also DynamoDB\'s own export layout (`AWSDynamoDB/<id>/…`), so Import from S3 can restore it.',
          'ferry',
        ),
        part_size_mb: int('Data files are rolled at about this many compressed MiB (and at each read batch).', 1, 4096, 64),
        compression: oneOfStrings(['gzip', 'zstd'], 'Data files: `gzip`, or `zstd` (smaller and faster; needs Node.js ≥ 22.15, and readers that have it). `format: dynamodb` is gzip, as AWS reads it.', 'gzip'),
      }),
      restore: object(
        'kind: restore — which backup set to read.',
        {
          plan: str('The name of the backup plan whose sets to restore from.', { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }),
          prefix: str('The backup plan\'s `backup.prefix`. Default "".'),
          set: str('`latest` (the newest complete set) or a set\'s id or directory (`ferry backup list`). Default latest.'),
        },
        ['plan'],
      ),
      retention: retentionSchema('kind: backup — which sets `ferry backup prune` keeps (restic-style: calendar rules ORed, UTC; the newest good set is always kept).'),
    },
    required: ['version', 'kind', 'name', 'source', 'target', 'streams'],
    additionalProperties: false,
  };
}

function connectionSchema(role: 'source' | 'target', which: ConnectorDescriptor | 'all' | undefined): JsonSchema {
  const description =
    role === 'source'
      ? 'Where data is read from: `type` picks the store, the other keys are that store\'s options.'
      : 'Where data is written to: `type` picks the store, the other keys are that store\'s options.';
  if (which === 'all') return { description, type: 'object', required: ['type'], 'x-expect': 'a mapping', oneOf: connectors.map(connectionBranch) };
  // Type unknown or missing: the loader reports that itself (with "did you mean"); checking options would only add noise.
  if (which === undefined) return { description, type: 'object', 'x-expect': 'a mapping with `type` and that store\'s options' };
  return { ...connectionBranch(which), description };
}

function connectionBranch(c: ConnectorDescriptor): JsonSchema {
  const { properties, required, type: _type, ...rest } = c.optionsSchema as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
    type?: unknown;
  } & JsonSchema;
  return {
    title: c.title,
    ...rest,
    type: 'object',
    properties: { type: { const: c.type, description: `${c.title} (${c.kind} store).` }, ...(properties ?? {}) },
    required: ['type', ...(required ?? [])],
    additionalProperties: false,
    'x-expect': 'a mapping',
  };
}

function streamSchema(f: Flavour): JsonSchema {
  const objectSource = !f.editor && f.source?.kind === 'object' && f.kind !== 'restore';
  const common: Record<string, JsonSchema> = {
    from: objectSource
      ? { type: 'string', description: 'Key prefix to copy ("" for the whole bucket).', 'x-expect': 'a string (a key prefix)' }
      : str('Source stream: a name (`public.invoice`, `Invoices`, `logs/2024/`) or a pattern with `*` (`public.*`).'),
    to: str('Target stream (table, collection, container or key prefix). Default: chosen by the target store from the source name.'),
    segments: int('Slices each matched stream is split into, to read in parallel and resume. Default: limits.concurrency.'),
    write: oneOfStrings(
      ['upsert', 'replace', 'insert'],
      '`upsert` creates or updates by key (idempotent, so a resumed job is safe); `replace` overwrites whole items; `insert` only creates and rejects existing keys.',
      'upsert',
    ),
  };
  const documents =
    f.editor || f.source === undefined || f.target === undefined || (f.source.kind === 'document' && f.target.kind === 'document') || f.kind === 'backup' || f.kind === 'restore';
  if (documents) common.map = fieldMapSchema();

  let storeKeys: Record<string, JsonSchema>;
  let closed = true;
  if (f.editor) {
    storeKeys = unionOfStreamKeys();
  } else {
    storeKeys = {
      ...(f.kind === 'restore' ? {} : (f.source?.sourceStreamSchema ?? {})),
      ...(f.kind === 'backup' ? {} : (f.target?.targetStreamSchema ?? {})),
    };
    // Without both stores we cannot tell a store's stream key from a typo; the unknown `type` is the error to fix.
    closed = f.source !== undefined && f.target !== undefined;
  }
  return {
    type: 'object',
    description: 'One stream to move.',
    'x-expect': 'a mapping with at least `from`',
    properties: { ...common, ...storeKeys },
    required: ['from'],
    additionalProperties: !closed,
  };
}

/** Every store's stream keys, tagged with the stores and roles that accept them (editor flavour only). */
function unionOfStreamKeys(): Record<string, JsonSchema> {
  const byKey = new Map<string, { schema: JsonSchema; where: string[] }[]>();
  for (const c of connectors) {
    for (const [role, keys] of [['source', c.sourceStreamSchema], ['target', c.targetStreamSchema]] as const) {
      for (const [key, schema] of Object.entries(keys ?? {})) {
        const variants = byKey.get(key) ?? [];
        const same = variants.find((v) => JSON.stringify(v.schema) === JSON.stringify(schema));
        if (same) same.where.push(`${c.type} ${role}`);
        else variants.push({ schema, where: [`${c.type} ${role}`] });
        byKey.set(key, variants);
      }
    }
  }
  const out: Record<string, JsonSchema> = {};
  for (const [key, variants] of byKey) {
    const tagged = variants.map((v) => ({ ...v.schema, description: `${String(v.schema.description ?? '')} (${v.where.join(', ')})`.trim() }));
    out[key] = tagged.length === 1 ? tagged[0]! : { anyOf: tagged, description: tagged.map((t) => t.description).join(' | ') };
  }
  return out;
}

function fieldMapSchema(): JsonSchema {
  return object('Field mapping between document stores, applied in order: include, exclude, rename, set, nulls.', {
    include: stringList('Keep only these fields (source names).'),
    exclude: stringList('Drop these fields (source names).'),
    rename: stringMap('Rename fields: `source_name: target_name`.'),
    set: stringMap('Computed fields from templates over the record, e.g. `pk: "INVOICE#${invoice_id}"`.'),
    nulls: oneOfStrings(['omit', 'null'], 'Fields whose value is null: `omit` drops them (smaller items in DynamoDB/Firestore), `null` writes them.'),
  });
}

function limitsSchema(): JsonSchema {
  return object('Pace of the job, in the target\'s own units where it has them. Rates are per second, across the job.', {
    concurrency: int('Segments processed at once.', 1, undefined, 4),
    batch_size: int('Items read per source batch (the sink splits them to its own write size).', 1, 100000, 500),
    items_per_second: positive('Items written per second.'),
    bytes_per_second: positive('Bytes written per second.'),
    wcu: positive('DynamoDB write capacity units per second (a write costs 1 WCU per started KB).'),
    ru: positive('Cosmos DB request units per second.'),
    writes_per_second: positive('Firestore document writes per second.'),
    requests_per_second: positive('Object-store requests (PUT, DELETE...) per second.'),
    ramp_up: bool(
      'Follow the target\'s own ramp-up rule for new data, where it has one: Firestore\'s 500/50/5 (500 writes/s at first, +50% every 5 minutes; recommended for sequential ids on real Firestore). The same as `ramp_up: true` on the target block, which wins when set. Other targets have none: there this does nothing (with a warning). Default false.',
    ),
    max_retries: int('Attempts at one retryable write before the job stops (resumable).', 0, undefined, 8),
  });
}

/** `prices:`: overrides of the dry run's dated price table (prices/cloud-prices.yaml), by name, in its units. */
function pricesSchema(): JsonSchema {
  const props: Record<string, JsonSchema> = {};
  for (const name of PRICE_NAMES) {
    const u = PRICE_UNITS[name];
    props[name] = {
      type: 'number',
      minimum: 0,
      description: `USD per ${u.per.toLocaleString('en-US')} ${u.unit}: ${u.what}.`,
      'x-expect': 'a number ≥ 0 (USD)',
    };
  }
  return object(
    '`ferry plan dry-run` prices costs from a dated table of list prices (prices/cloud-prices.yaml: AWS us-east-1, Google Cloud us-central1, Azure East US). Override any of them here, e.g. for another region or a negotiated rate, in the same unit.',
    props,
  );
}

function verifySchema(): JsonSchema {
  return {
    type: 'array',
    description: 'Checks after the copy: `count` compares item counts, `checksum` compares digests of every item, `sample` re-reads a sample. `[]` to skip.',
    'x-expect': 'a list of verifiers (count, checksum, sample)',
    default: ['count'],
    items: {
      'x-expect': 'count, checksum, sample or { sample: N }',
      anyOf: [
        { type: 'string', enum: ['count', 'checksum', 'sample'], 'x-expect': 'count, checksum, sample or { sample: N }' },
        object('Re-read a sample of N items from both sides and compare them.', { sample: int('Items to sample.') }, ['sample']),
      ],
    },
  };
}
