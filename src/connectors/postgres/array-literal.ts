/**
 * PostgreSQL array text (`{1,2,NULL}`, `{{"a b","c\"d"},{x,y}}`, `[0:1]={1,2}`) → nested JS arrays.
 *
 * Written here rather than borrowed from pg-types because it must work for every element type, including enums,
 * domains and types created after the pool was made, whose array OIDs pg-types cannot know. Elements are decoded by
 * the caller's function; an unquoted NULL is SQL NULL, a quoted "NULL" is the text NULL.
 */
import { FerryError } from '../../errors.js';

export function parseArrayLiteral<T>(text: string, delimiter: string, element: (s: string) => T): (T | null | unknown[])[] {
  let pos = 0;
  // Non-default lower bounds print a dimension decoration before the value; JSON-like targets have no use for it.
  if (text.startsWith('[')) {
    const eq = text.indexOf('=');
    if (eq < 0) throw malformed(text);
    pos = eq + 1;
  }

  const parse = (): (T | null | unknown[])[] => {
    if (text[pos] !== '{') throw malformed(text);
    pos += 1;
    const out: (T | null | unknown[])[] = [];
    if (text[pos] === '}') {
      pos += 1;
      return out;
    }
    for (;;) {
      while (text[pos] === ' ') pos += 1;
      const c = text[pos];
      if (c === '{') {
        out.push(parse());
      } else if (c === '"') {
        pos += 1;
        let s = '';
        for (;;) {
          const ch = text[pos];
          if (ch === undefined) throw malformed(text);
          if (ch === '\\') {
            s += text[pos + 1] ?? '';
            pos += 2;
          } else if (ch === '"') {
            pos += 1;
            break;
          } else {
            s += ch;
            pos += 1;
          }
        }
        out.push(element(s));
      } else {
        let s = '';
        while (pos < text.length && text[pos] !== delimiter && text[pos] !== '}') {
          if (text[pos] === '\\') pos += 1;
          s += text[pos] ?? '';
          pos += 1;
        }
        s = s.trim();
        out.push(s.toUpperCase() === 'NULL' ? null : element(s));
      }
      while (text[pos] === ' ') pos += 1;
      if (text[pos] === delimiter) {
        pos += 1;
        continue;
      }
      if (text[pos] === '}') {
        pos += 1;
        return out;
      }
      throw malformed(text);
    }
  };

  const result = parse();
  if (pos !== text.length) throw malformed(text);
  return result;
}

function malformed(text: string): FerryError {
  return new FerryError('INTERNAL', `cannot parse a PostgreSQL array value: ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`);
}
