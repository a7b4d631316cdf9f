/**
 * Document ids (and collection ids rendered from templates): Firestore's rules, and what ferry does with ids that
 * break them.
 *
 * Firestore refuses an id that is empty, contains `/`, is `.` or `..`, matches `__.*__`, is over 1,500 bytes of
 * UTF-8, or is not valid Unicode. With `bad_ids: reject` such an id makes the item a dead letter naming the rule.
 * With `bad_ids: escape` (the default) every id is percent-encoded where it must be:
 *
 * - `%` → `%25` and `/` → `%2F`, in every id (escaping `%` everywhere keeps the encoding one-to-one: the key `a/b`
 *   and the key `a%2Fb` never share a document);
 * - an id that is exactly `.` or `..` → `%2E` / `%2E%2E`;
 * - an id of the form `__…__` → its first `_` as `%5F` (`__x__` → `%5F_x__`).
 *
 * Empty ids, ids with lone surrogates, and ids still over 1,500 bytes after escaping are dead letters either way:
 * there is nothing to encode, or no room.
 *
 * The default document id is the record's key: one part → its text as is; several (a partition and a sort key, or
 * a composite key) → the parts' texts joined by `#`, with `\` and `#` inside a part written `\\` and `\#`, so
 * `{ pk: 'a#b', sk: 1 }` → `a\#b#1`. Part texts: strings as they are, numbers in their canonical decimal form,
 * booleans `true`/`false`; a null part makes the item a dead letter.
 */
import type { KeyPart, RecordKey } from '../../core/record.js';
import { FerryError } from '../../errors.js';
import type { FirestoreRules } from './options.js';

export const MAX_ID_BYTES = 1500;

const RESERVED = /^__.*__$/s;

type WellFormed = string & { isWellFormed(): boolean };

/** Why Firestore would refuse `id`, or undefined when it would take it. */
export function idProblem(id: string): string | undefined {
  if (id === '') return 'is empty';
  if (!(id as WellFormed).isWellFormed()) return 'is not valid Unicode (a lone surrogate)';
  if (id.includes('/')) return 'contains "/"';
  if (id === '.' || id === '..') return `is "${id}"`;
  if (RESERVED.test(id)) return 'matches __.*__ (reserved by Firestore)';
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) return `is ${bytes} bytes, over Firestore's ${MAX_ID_BYTES}`;
  return undefined;
}

/** The escaped form of an id under `bad_ids: escape` (see the file comment); not yet checked for length. */
export function escapeId(id: string): string {
  let out = id.replaceAll('%', '%25').replaceAll('/', '%2F');
  if (out === '.') out = '%2E';
  else if (out === '..') out = '%2E%2E';
  else if (RESERVED.test(out)) out = `%5F${out.slice(1)}`;
  return out;
}

function shorten(id: string): string {
  return id.length > 60 ? `${id.slice(0, 60)}…` : id;
}

/**
 * The id to write for `raw`, per `bad_ids`. `what` names it in messages (`document id`, `collection id in "to"`).
 * Throws ITEM_REJECTED.
 */
export function documentId(raw: string, rules: Pick<FirestoreRules, 'badIds'>, what = 'document id'): string {
  const id = rules.badIds === 'escape' ? escapeId(raw) : raw;
  const problem = idProblem(id);
  if (problem === undefined) return id;
  const escaped = rules.badIds === 'escape' && id !== raw ? ` (escaped: "${shorten(id)}")` : '';
  const hint = rules.badIds === 'reject' && problem !== 'is empty' && !problem.startsWith('is not valid') && !/bytes/.test(problem)
    ? '; set `bad_ids: escape` to percent-encode it'
    : '';
  throw new FerryError('ITEM_REJECTED', `${what} "${shorten(raw)}"${escaped} ${problem}${hint}`);
}

/** The text of one key part inside a default id. */
export function keyPartText(name: string, v: KeyPart | undefined): string {
  if (v === undefined || v === null) {
    throw new FerryError('ITEM_REJECTED', `key part ${name} is ${v === null ? 'null' : 'missing'}; it cannot make a document id`);
  }
  return String(v);
}

/** `\` → `\\`, `#` → `\#`, parts joined by `#` (the same composite-key text as the DynamoDB connector's `pk`). */
export function joinKeyParts(parts: readonly string[]): string {
  return parts.map((p) => p.replaceAll('\\', '\\\\').replaceAll('#', '\\#')).join('#');
}

/** The default id text of a record key (before `bad_ids`): see the file comment. */
export function defaultIdText(key: RecordKey): string {
  const names = Object.keys(key);
  if (names.length === 0) {
    throw new FerryError('ITEM_REJECTED', "the record has no key, and the stream names no `id:` template for the document id");
  }
  if (names.length === 1) return keyPartText(names[0]!, key[names[0]!]);
  return joinKeyParts(names.map((n) => keyPartText(n, key[n])));
}
