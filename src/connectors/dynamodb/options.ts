/**
 * Plan options of DynamoDB. Credentials come from the AWS SDK default chain (env, profile, SSO, instance role)
 * unless given here; `endpoint` points at DynamoDB Local or another emulator.
 *
 * The type-mapping options (`timestamps`, `json`, `arrays`, `non_finite`, `empty_sets`) may be set on the target
 * block (for every stream) and on a stream (for that stream); the stream wins. `resolveTypeRules` applies the
 * defaults, which are the ones listed in each option's description.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, exclusive, int, object, oneOfStrings, positive, secret, str } from '../../plan/schema-fragments.js';

export type TimestampForm = 'iso' | 'epoch_seconds' | 'epoch_millis';
export type KeyAttrType = 'S' | 'N' | 'B';

/** How values DynamoDB has no exact type for are stored. */
export interface TypeRules {
  /** Dates and timestamps: ISO-8601 text (S) or epoch seconds/milliseconds (N). */
  timestamps: TimestampForm;
  /** JSON columns and nested documents: a map (M) / list (L), or the JSON text (S). */
  json: 'map' | 'string';
  /** Top-level arrays: a list (L), or a set (SS/NS/BS; duplicates dropped). */
  arrays: 'list' | 'set';
  /** NaN and ±Infinity: reject the item, or store the text `NaN`, `Infinity`, `-Infinity` (S). */
  nonFinite: 'reject' | 'string';
  /** An empty set (DynamoDB cannot store one): reject the item, or leave the attribute out. */
  emptySets: 'reject' | 'omit';
}

export const DEFAULT_TYPE_RULES: TypeRules = {
  timestamps: 'iso',
  json: 'map',
  arrays: 'list',
  nonFinite: 'reject',
  emptySets: 'reject',
};

/**
 * Schema of the type-mapping keys, shared by the target block (`stream: false`, with the defaults) and target
 * streams (`stream: true`, where leaving a key out means "as the target block says").
 */
function typeMappingSchema(stream: boolean): Record<string, JsonSchema> {
  const one = (values: string[], what: string, dflt: string): JsonSchema =>
    oneOfStrings(
      values,
      `${what} Default: ${stream ? 'as the target block says, else ' : ''}${dflt}.`,
      stream ? undefined : dflt,
    );
  return {
    timestamps: one(
      ['iso', 'epoch_seconds', 'epoch_millis'],
      'How dates and timestamps are stored: ISO-8601 UTC text (S), or epoch seconds / milliseconds (N, fractions kept exactly).',
      'iso',
    ),
    json: one(['map', 'string'], 'How JSON columns are stored: a map/list (M/L), or their JSON text (S).', 'map'),
    arrays: one(
      ['list', 'set'],
      'How top-level arrays are stored: a list (L), or a string/number/binary set (SS/NS/BS; duplicates are dropped; mixed or null elements reject the item).',
      'list',
    ),
    non_finite: one(
      ['reject', 'string'],
      'NaN and ±Infinity: reject the item (a dead letter), or store the text NaN / Infinity / -Infinity (S).',
      'reject',
    ),
    empty_sets: one(
      ['reject', 'omit'],
      'Empty sets, which DynamoDB cannot store: reject the item (a dead letter), or leave the attribute out.',
      'reject',
    ),
  };
}

export const dynamodbOptions: JsonSchema = {
  type: 'object',
  properties: {
    region: str('AWS region, e.g. us-east-1. Default: the SDK chain ($AWS_REGION, profile).'),
    endpoint: str('Endpoint URL, for DynamoDB Local or a VPC endpoint, e.g. http://127.0.0.1:8000. Default: AWS.'),
    profile: str('Named profile from ~/.aws/config. Default: $AWS_PROFILE or the default chain.'),
    access_key_id: str('Access key id; prefer the default credential chain.'),
    secret_access_key: secret('Secret access key, with `access_key_id`.'),
    session_token: secret('Session token, for temporary credentials.'),
    table_prefix: str('Prefix added to every target table name (`staging_` + `Invoices`), and expected on source table names.'),
    create: bool('As a target: create missing tables, keyed as each stream\'s `key` says.', false),
    billing: oneOfStrings(['on_demand', 'provisioned'], 'Billing mode of tables ferry creates.', 'on_demand'),
    capacity: object(
      'Provisioned capacity of tables ferry creates (with `billing: provisioned`).',
      {
        read: int('Read capacity units.'),
        write: int('Write capacity units; keep it above `limits.wcu`.'),
      },
      ['read', 'write'],
    ),
    consistent_read: bool('As a source: strongly consistent scans (twice the read capacity). Default false.', false),
    rcu_per_second: positive(
      'As a source: read capacity units per second the whole job may consume, across all its segments and tables (and its counts). A Scan costs 0.5 RCU per 4 KB read (1 with consistent_read); pages are sized from the average item size to cost at most about one second of this budget. Keep it below the table\'s provisioned read capacity. Default: no limit (throttling still backs off).',
    ),
    ...typeMappingSchema(false),
  },
  allOf: [
    exclusive('profile', ['access_key_id', 'secret_access_key', 'session_token'], 'use either `profile` or access keys, not both'),
    {
      not: { required: ['billing'], properties: { billing: { const: 'provisioned' } }, not: { required: ['capacity'] } },
      'x-error': '`billing: provisioned` needs `capacity: { read, write }`',
    },
  ],
};

export const dynamodbSourceStream: Record<string, JsonSchema> = {
  consistent_read: bool('Use strongly consistent reads (twice the read capacity).', false),
};

const keyType = (what: string): JsonSchema =>
  oneOfStrings(['S', 'N', 'B'], `Type of the ${what} attribute. Default: from the source column type (numbers N, bytes B, else S).`);

export const dynamodbTargetStream: Record<string, JsonSchema> = {
  key: object(
    'Key attributes of the target table, named as after `map`. Default: the source primary key (one column: partition; two: partition + sort; more: one string partition attribute `pk` joining them with `#`).',
    {
      partition: str('Partition (hash) key attribute.'),
      sort: str('Sort (range) key attribute, if the table has one.'),
      partition_type: keyType('partition key'),
      sort_type: keyType('sort key'),
    },
    ['partition'],
  ),
  ...typeMappingSchema(true),
};

/** The options a sink or source was opened with (the connection block without `type`), as typed values. */
export interface DynamoDbOptions {
  region?: string;
  endpoint?: string;
  profile?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  tablePrefix: string;
  create: boolean;
  billing: 'on_demand' | 'provisioned';
  capacity?: { read: number; write: number };
  consistentRead: boolean;
  /** As a source: read capacity units per second across the job (`rcu_per_second`); undefined = no limit. */
  readRate?: number;
  /** Target-level type rules (streams may override). */
  rules: Partial<TypeRules>;
}

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Type rules set in an options object (plan keys in snake_case); unknown values are ignored (the schema checked them). */
export function typeRulesIn(o: Record<string, unknown> | undefined): Partial<TypeRules> {
  const out: Partial<TypeRules> = {};
  if (!o) return out;
  const t = o['timestamps'];
  if (t === 'iso' || t === 'epoch_seconds' || t === 'epoch_millis') out.timestamps = t;
  if (o['json'] === 'map' || o['json'] === 'string') out.json = o['json'];
  if (o['arrays'] === 'list' || o['arrays'] === 'set') out.arrays = o['arrays'];
  if (o['non_finite'] === 'reject' || o['non_finite'] === 'string') out.nonFinite = o['non_finite'];
  if (o['empty_sets'] === 'reject' || o['empty_sets'] === 'omit') out.emptySets = o['empty_sets'];
  return out;
}

/** Stream rules over target rules over the defaults. */
export function resolveTypeRules(target: Partial<TypeRules>, stream: Record<string, unknown> | undefined): TypeRules {
  return { ...DEFAULT_TYPE_RULES, ...target, ...typeRulesIn(stream) };
}

export function parseOptions(o: Record<string, unknown>): DynamoDbOptions {
  const cap = o['capacity'] as { read?: unknown; write?: unknown } | undefined;
  const capacity =
    cap && typeof cap.read === 'number' && typeof cap.write === 'number' ? { read: cap.read, write: cap.write } : undefined;
  const region = strOf(o['region']);
  const endpoint = strOf(o['endpoint']);
  const profile = strOf(o['profile']);
  const accessKeyId = strOf(o['access_key_id']);
  const secretAccessKey = strOf(o['secret_access_key']);
  const sessionToken = strOf(o['session_token']);
  const rate = o['rcu_per_second'];
  const readRate = typeof rate === 'number' && Number.isFinite(rate) && rate > 0 ? rate : undefined;
  return {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(profile ? { profile } : {}),
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(secretAccessKey ? { secretAccessKey } : {}),
    ...(sessionToken ? { sessionToken } : {}),
    tablePrefix: strOf(o['table_prefix']) ?? '',
    create: o['create'] === true,
    billing: o['billing'] === 'provisioned' ? 'provisioned' : 'on_demand',
    ...(capacity ? { capacity } : {}),
    consistentRead: o['consistent_read'] === true,
    ...(readRate !== undefined ? { readRate } : {}),
    rules: typeRulesIn(o),
  };
}
