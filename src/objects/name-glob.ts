/**
 * The `match:` filter of an object stream: a glob over names below the prefix (`*` within a level, `**` across
 * levels). Dot-files match too: an object store has no hidden files.
 */
import picomatch from 'picomatch';

export type NameFilter = (rel: string) => boolean;

export function nameFilter(glob: unknown): NameFilter {
  if (typeof glob !== 'string' || glob === '' || glob === '**') return () => true;
  return picomatch(glob, { dot: true });
}
