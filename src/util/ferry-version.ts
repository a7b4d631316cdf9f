/** ferry's own version, from its package.json (two levels up from src/util and from dist/util alike). */
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function ferryVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
