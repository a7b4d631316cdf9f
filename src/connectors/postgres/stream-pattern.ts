/**
 * A plan's `from:` for PostgreSQL: `schema.table`, `table` (in the source's `schema`, default public), or a pattern
 * with `*` (any run of characters) and `?` (one character): `public.*`, `*`, `sales.order_*`, `*.*`. Names match
 * the catalog exactly (PostgreSQL folds unquoted identifiers to lower case when they are created, so that is what the
 * catalog holds); double quotes allow a dot inside a name and make `*` and `?` literal: `"odd.schema"."t*"`.
 */
import { FerryError } from '../../errors.js';

export interface StreamPattern {
  schema: NamePattern;
  table: NamePattern;
  /** No wildcard anywhere: the plan names one relation (only then are views and partitions listed). */
  explicit: boolean;
}

export interface NamePattern {
  /** The literal name when there is no wildcard. */
  exact?: string;
  regex?: RegExp;
}

interface Part {
  text: string;
  /** Per character: may it act as a wildcard (false inside double quotes). */
  wild: boolean[];
}

function splitParts(pattern: string): Part[] {
  const parts: Part[] = [{ text: '', wild: [] }];
  let quoted = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const cur = parts[parts.length - 1]!;
    if (c === '"') {
      if (quoted && pattern[i + 1] === '"') {
        cur.text += '"';
        cur.wild.push(false);
        i += 1;
      } else quoted = !quoted;
    } else if (c === '.' && !quoted) {
      parts.push({ text: '', wild: [] });
    } else {
      cur.text += c;
      cur.wild.push(!quoted);
    }
  }
  if (quoted) throw invalid(pattern, 'an unclosed double quote');
  return parts;
}

function namePattern(p: Part): NamePattern {
  let re = '';
  let wild = false;
  for (let i = 0; i < p.text.length; i++) {
    const c = p.text[i]!;
    if (p.wild[i] && c === '*') {
      re += '.*';
      wild = true;
    } else if (p.wild[i] && c === '?') {
      re += '.';
      wild = true;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return wild ? { regex: new RegExp(`^${re}$`, 's') } : { exact: p.text };
}

function invalid(pattern: string, what: string): FerryError {
  return new FerryError('CONFIG', `stream "${pattern}" is not a PostgreSQL table name or pattern: ${what}`, {
    hint: 'write `schema.table`, `table`, or a pattern such as `public.*` or `sales.order_*`',
  });
}

export function parseStreamPattern(pattern: string, defaultSchema: string): StreamPattern {
  const parts = splitParts(pattern.trim());
  if (parts.length > 2) throw invalid(pattern, 'more than one dot (quote names that contain dots)');
  if (parts.some((p) => p.text === '')) throw invalid(pattern, 'an empty name');
  const [schemaPart, tablePart] = parts.length === 2 ? [parts[0]!, parts[1]!] : [{ text: defaultSchema, wild: [] }, parts[0]!];
  const schema = namePattern(schemaPart);
  const table = namePattern(tablePart);
  return { schema, table, explicit: schema.exact !== undefined && table.exact !== undefined };
}

export function matches(p: NamePattern, name: string): boolean {
  return p.exact !== undefined ? p.exact === name : p.regex!.test(name);
}

/** Identifier quoting for SQL text (names go into statements; values always go in as parameters). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * Why `pattern` cannot name a PostgreSQL table (for `ferry plan check`): an unclosed quote, too many dots, an empty
 * name, or an unquoted name with characters an unquoted identifier cannot have (`x; drop table y`), or over 63 bytes.
 */
export function streamNameProblem(pattern: string): string | undefined {
  try {
    parseStreamPattern(pattern, 'public');
  } catch (e) {
    return (e as Error).message;
  }
  for (const part of splitParts(pattern.trim())) {
    const unquoted = [...part.text].filter((_, i) => part.wild[i]).join('');
    const bad = /[^\p{L}\p{N}_$*?]/u.exec(unquoted);
    if (bad) {
      return `stream "${pattern}" is not a PostgreSQL table name or pattern: ${JSON.stringify(bad[0])} cannot appear in an unquoted name (double-quote the name if the table is really called so)`;
    }
    if (Buffer.byteLength(part.text, 'utf8') > 63) return `stream "${pattern}": ${JSON.stringify(part.text)} is longer than PostgreSQL's 63-byte names`;
  }
  return undefined;
}
