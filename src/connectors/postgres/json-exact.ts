/**
 * JSON text → neutral values without silent precision loss. `JSON.parse` turns 12345678901234567890 into
 * 12345678901234567000 and 1e400 into Infinity; a migration must not. Numbers a double holds exactly (by value, as
 * its shortest decimal form) stay JS numbers; any other number literal becomes a `Decimal` with its own text.
 *
 * Node 20 has no `JSON.parse` source-text access for revivers, so the slow path is a small parser of our own. It
 * runs only when the text holds something that might not fit: a run of 16+ digits (a double keeps 15 significant
 * digits for certain) or an exponent. Everything else goes through `JSON.parse`.
 */
import { Decimal, type Value } from '../../core/record.js';
import { FerryError } from '../../errors.js';

const MAYBE_INEXACT = /\d{16}|[\d.]{17}|\d[eE]/;

export function parseJsonExact(text: string): Value {
  if (!MAYBE_INEXACT.test(text)) return JSON.parse(text) as Value;
  return new ExactJsonParser(text).parseDocument();
}

/** `digits` without leading/trailing zeros and the power of ten of its last digit: 1.50e2 → ['15', 1]. */
function decimalParts(literal: string): [string, number] {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return [literal, 0];
  const frac = m[2] ?? '';
  let digits = (m[1]! + frac).replace(/^0+/, '');
  let exp = Number(m[3] ?? 0) - frac.length;
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return digits === '' ? ['0', 0] : [digits, exp];
}

/** A JS number when it equals the literal exactly, else a Decimal keeping the literal. */
export function exactNumber(literal: string): number | Decimal {
  const n = Number(literal);
  if (!Number.isFinite(n)) return new Decimal(literal);
  const [a, ea] = decimalParts(literal);
  const [b, eb] = decimalParts(String(Math.abs(n)));
  const sameSign = literal.startsWith('-') === (n < 0 || Object.is(n, -0));
  return a === b && ea === eb && sameSign ? n : new Decimal(literal);
}

class ExactJsonParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): Value {
    const v = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail();
    return v;
  }

  private ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos += 1;
  }

  private fail(): never {
    throw new FerryError('INTERNAL', `cannot parse a JSON value from PostgreSQL near offset ${this.pos}`);
  }

  private value(): Value {
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't' && this.text.startsWith('true', this.pos)) return (this.pos += 4), true;
    if (c === 'f' && this.text.startsWith('false', this.pos)) return (this.pos += 5), false;
    if (c === 'n' && this.text.startsWith('null', this.pos)) return (this.pos += 4), null;
    const m = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.pos;
    const hit = m.exec(this.text);
    if (!hit) this.fail();
    this.pos += hit[0].length;
    return exactNumber(hit[0]);
  }

  private string(): string {
    const start = this.pos;
    this.pos += 1;
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.fail();
      if (ch === '\\') this.pos += 2;
      else if (ch === '"') break;
      else this.pos += 1;
    }
    this.pos += 1;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  private array(): Value[] {
    this.pos += 1;
    const out: Value[] = [];
    this.ws();
    if (this.text[this.pos] === ']') return (this.pos += 1), out;
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail();
    }
  }

  private object(): { [k: string]: Value } {
    this.pos += 1;
    const out: { [k: string]: Value } = {};
    this.ws();
    if (this.text[this.pos] === '}') return (this.pos += 1), out;
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail();
      const key = this.string();
      this.ws();
      if (this.text[this.pos++] !== ':') this.fail();
      const v = this.value();
      // A key named __proto__ must be data, as JSON.parse makes it, not a prototype change.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail();
    }
  }
}
