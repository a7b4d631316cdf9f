import { describe, expect, it } from 'vitest';
import { parseStreamName } from '../../../src/connectors/firestore/collection-selector.js';

describe('Firestore source stream names', () => {
  it('reads a plain path as one collection', () => {
    expect(parseStreamName('artists')).toEqual({ kind: 'selector', selector: { kind: 'collection', path: 'artists' } });
    expect(parseStreamName('artists/1/albums')).toEqual({ kind: 'selector', selector: { kind: 'collection', path: 'artists/1/albums' } });
  });

  it('lists collections for a wildcard in the last segment', () => {
    const p = parseStreamName('art*');
    expect(p).toMatchObject({ kind: 'list', parent: undefined });
    if (p.kind !== 'list') throw new Error('list');
    expect(p.match.test('artists')).toBe(true);
    expect(p.match.test('albums')).toBe(false);
    expect(parseStreamName('artists/1/*')).toMatchObject({ kind: 'list', parent: 'artists/1' });
  });

  it('reads templated and wildcard parents as a filtered collection group', () => {
    const p = parseStreamName('artists/${ArtistId}/albums');
    expect(p).toEqual({ kind: 'selector', selector: { kind: 'group', id: 'albums', match: '^artists/[^/]+/albums/[^/]+$' } });
    const re = new RegExp((p as { selector: { match: string } }).selector.match);
    expect(re.test('artists/1/albums/10')).toBe(true);
    expect(re.test('other/1/albums/10')).toBe(false);
    expect(re.test('artists/1/albums/10/albums/3')).toBe(false);
    expect(parseStreamName('t-${x}.v/*/c')).toEqual({ kind: 'selector', selector: { kind: 'group', id: 'c', match: '^t-[^/]+\\.v/[^/]*/c/[^/]+$' } });
  });

  it('reads a collection group by option', () => {
    expect(parseStreamName('albums', true)).toEqual({ kind: 'selector', selector: { kind: 'group', id: 'albums' } });
    expect(() => parseStreamName('a/b/c', true)).toThrow(/one collection id/);
  });

  it('refuses what cannot be a collection', () => {
    expect(() => parseStreamName('artists/1')).toThrow(/2 segments/);
    expect(() => parseStreamName('a/${x}/c*')).toThrow(/the last collection id must be literal/);
    expect(() => parseStreamName('a//b')).toThrow(/empty segment/);
    expect(() => parseStreamName('${kind}')).toThrow(/a collection id rendered per document/);
    expect(() => parseStreamName('a/1/t-${kind}')).toThrow(/cannot be read back as one stream/);
  });
});
