/**
 * Plan options of Cloud Firestore (native mode). Credentials come from Application Default Credentials unless a
 * service-account `key_file` is given; `emulator_host` (or $FIRESTORE_EMULATOR_HOST) targets the emulator, which
 * needs no credentials.
 *
 * The type-mapping options (`numbers`, `sets`, `nested_arrays`, `bad_ids`) and `merge` may be set on the target
 * block (for every stream) and on a stream (for that stream); the stream wins. `resolveRules` applies the defaults,
 * which are the ones listed in each option's description.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, filePath, oneOfStrings, str } from '../../plan/schema-fragments.js';

/** How values Firestore has no exact type for are stored, and how document ids are checked. */
export interface FirestoreRules {
  /** A number that is neither an int64 nor a double that reads back as the same number: text, or a dead letter. */
  numbers: 'string' | 'reject';
  /** Typed sets (DynamoDB SS/NS/BS): sorted arrays, or maps tagged as sets (`{ "ferry:set": kind, values }`). */
  sets: 'array' | 'tagged';
  /** An array directly inside an array (Firestore refuses it): a dead letter, or wrapped as `{ values: [...] }`. */
  nestedArrays: 'reject' | 'wrap';
  /** A document id or templated collection id Firestore refuses: percent-encoded, or a dead letter. */
  badIds: 'escape' | 'reject';
  /** Write with `set(..., { merge: true })`: fields the record lacks are kept in an existing document. */
  merge: boolean;
}

export const DEFAULT_RULES: FirestoreRules = {
  numbers: 'reject',
  sets: 'array',
  nestedArrays: 'reject',
  badIds: 'escape',
  merge: false,
};

/** Marker field of a set written under `sets: tagged`; the source reads such a map back as a set. */
export const SET_TAG = 'ferry:set';
/** Field holding the elements of a tagged set, and of a wrapped nested array. */
export const VALUES_FIELD = 'values';

function rulesSchema(stream: boolean): Record<string, JsonSchema> {
  const one = (values: string[], what: string, dflt: string): JsonSchema =>
    oneOfStrings(values, `${what} Default: ${stream ? 'as the target block says, else ' : ''}${dflt}.`, stream ? undefined : dflt);
  return {
    numbers: one(
      ['reject', 'string'],
      'Numbers that are neither a 64-bit integer nor a double that reads back as the same number (e.g. 0.1234567890123456789, 2^70 + 1): reject the item (a dead letter), or store their exact decimal text as a string. Never rounded.',
      'reject',
    ),
    sets: one(
      ['array', 'tagged'],
      'DynamoDB sets (SS/NS/BS): a sorted array (set-ness is lost on the way back), or a map `{ "ferry:set": "string"|"number"|"binary", values: [...] }` that ferry reads back as a set.',
      'array',
    ),
    nested_arrays: one(
      ['reject', 'wrap'],
      'Arrays directly inside arrays, which Firestore refuses: reject the item, or wrap each inner array as a map `{ values: [...] }` (`[[1, 2]]` → `[{ values: [1, 2] }]`).',
      'reject',
    ),
    bad_ids: one(
      ['escape', 'reject'],
      'Document ids (and templated collection ids) Firestore refuses (`/`, `.`, `..`, `__…__`): percent-encode them (`/` → `%2F`, and `%` → `%25` in every id so no two keys share an id), or reject the item. Empty ids and ids over 1,500 bytes are always rejected.',
      'escape',
    ),
    merge: bool(
      `Write with set(…, { merge: true }): fields the record lacks are kept in an existing document (with \`write: upsert\`). Default: ${stream ? 'as the target block says, else ' : ''}false.`,
      stream ? undefined : false,
    ),
  };
}

export const firestoreOptions: JsonSchema = {
  type: 'object',
  properties: {
    project: str('Google Cloud project id. Default: from the credentials, $GOOGLE_CLOUD_PROJECT or $GCLOUD_PROJECT (with the emulator also $FIRESTORE_PROJECT_ID).'),
    database: str('Database id.', { default: '(default)' }),
    key_file: filePath('Service-account key (JSON). Default: Application Default Credentials.'),
    emulator_host: str('host:port of the Firestore emulator, e.g. 127.0.0.1:8080. Default: $FIRESTORE_EMULATOR_HOST (which wins when both are set). No credentials are used with the emulator.'),
    ramp_up: bool(
      "As a target: follow Firestore's 500/50/5 rule (start at 500 writes/s, +50% every 5 minutes); recommended for a new collection with sequential ids on real Firestore. Otherwise write as fast as `limits` and the server allow. The plan's `limits.ramp_up: true` turns it on too when this is left out; set here, this wins.",
      false,
    ),
    ...rulesSchema(false),
  },
};

export const firestoreSourceStream: Record<string, JsonSchema> = {
  collection_group: bool('Read every collection with this id at any depth (a collection group), not one collection path.', false),
};

export const firestoreTargetStream: Record<string, JsonSchema> = {
  id: str(
    'Document id template over the mapped record, e.g. `${invoice_id}` or `${country}-${invoice_id}`. Default: the record key (parts joined by `#`, with `\\` and `#` inside a part written `\\\\` and `\\#`).',
  ),
  ...rulesSchema(true),
};

/** The options a sink or source was opened with (the connection block without `type`), as typed values. */
export interface FirestoreOptions {
  project?: string;
  database?: string;
  keyFile?: string;
  emulatorHost?: string;
  rampUp: boolean;
  /** Target-level rules (streams may override). */
  rules: Partial<FirestoreRules>;
}

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Rules set in an options object (plan keys in snake_case); unknown values are ignored (the schema checked them). */
export function rulesIn(o: Record<string, unknown> | undefined): Partial<FirestoreRules> {
  const out: Partial<FirestoreRules> = {};
  if (!o) return out;
  if (o['numbers'] === 'string' || o['numbers'] === 'reject') out.numbers = o['numbers'];
  if (o['sets'] === 'array' || o['sets'] === 'tagged') out.sets = o['sets'];
  if (o['nested_arrays'] === 'reject' || o['nested_arrays'] === 'wrap') out.nestedArrays = o['nested_arrays'];
  if (o['bad_ids'] === 'escape' || o['bad_ids'] === 'reject') out.badIds = o['bad_ids'];
  if (typeof o['merge'] === 'boolean') out.merge = o['merge'];
  return out;
}

/** Stream rules over target rules over the defaults. */
export function resolveRules(target: Partial<FirestoreRules>, stream: Record<string, unknown> | undefined): FirestoreRules {
  return { ...DEFAULT_RULES, ...target, ...rulesIn(stream) };
}

export function parseOptions(o: Record<string, unknown>): FirestoreOptions {
  const project = strOf(o['project']);
  const database = strOf(o['database']);
  const keyFile = strOf(o['key_file']);
  const emulatorHost = strOf(o['emulator_host']);
  return {
    ...(project ? { project } : {}),
    ...(database ? { database } : {}),
    ...(keyFile ? { keyFile } : {}),
    ...(emulatorHost ? { emulatorHost } : {}),
    rampUp: o['ramp_up'] === true,
    rules: rulesIn(o),
  };
}
