import { describe, expect, it } from 'vitest';
import { defaultIdText, documentId, escapeId, idProblem, joinKeyParts } from '../../../src/connectors/firestore/document-id.js';
import { splitPath } from '../../../src/connectors/firestore/document-path.js';

describe('Firestore document ids', () => {
  it('names what Firestore refuses', () => {
    expect(idProblem('ok id é')).toBeUndefined();
    expect(idProblem('')).toBe('is empty');
    expect(idProblem('a/b')).toBe('contains "/"');
    expect(idProblem('.')).toBe('is "."');
    expect(idProblem('..')).toBe('is ".."');
    expect(idProblem('...')).toBeUndefined();
    expect(idProblem('__x__')).toMatch(/reserved/);
    expect(idProblem('__')).toBeUndefined();
    expect(idProblem('___')).toBeUndefined();
    expect(idProblem('____')).toMatch(/reserved/);
    expect(idProblem('x'.repeat(1500))).toBeUndefined();
    expect(idProblem('x'.repeat(1501))).toBe("is 1501 bytes, over Firestore's 1500");
    expect(idProblem('\ud800')).toMatch(/lone surrogate/);
  });

  it('escapes one-to-one', () => {
    expect(escapeId('a/b')).toBe('a%2Fb');
    expect(escapeId('a%2Fb')).toBe('a%252Fb');
    expect(escapeId('.')).toBe('%2E');
    expect(escapeId('..')).toBe('%2E%2E');
    expect(escapeId('__id__')).toBe('%5F_id__');
    expect(escapeId('plain')).toBe('plain');
    const inputs = ['a/b', 'a%2Fb', '.', '%2E', '..', '__x__', '%5F_x__', '%', '%25', '/'];
    expect(new Set(inputs.map(escapeId)).size).toBe(inputs.length);
    for (const i of inputs) expect(idProblem(escapeId(i))).toBeUndefined();
  });

  it('applies bad_ids', () => {
    expect(documentId('a/b', { badIds: 'escape' })).toBe('a%2Fb');
    expect(() => documentId('a/b', { badIds: 'reject' })).toThrow('document id "a/b" contains "/"; set `bad_ids: escape` to percent-encode it');
    expect(() => documentId('', { badIds: 'escape' })).toThrow('document id "" is empty');
  });

  it('joins key parts with # and escapes', () => {
    expect(defaultIdText({ id: 42 })).toBe('42');
    expect(defaultIdText({ id: 'a#b' })).toBe('a#b');
    expect(defaultIdText({ pk: 'a#b', sk: 'c\\d' })).toBe('a\\#b#c\\\\d');
    expect(defaultIdText({ a: 1, b: true, c: 10n })).toBe('1#true#10');
    expect(joinKeyParts(['a', '#'])).not.toBe(joinKeyParts(['a#', '']));
  });

  it('splits paths at / outside templates', () => {
    expect(splitPath('a/${x/y}/b')).toEqual(['a', '${x/y}', 'b']);
    expect(splitPath('a')).toEqual(['a']);
    expect(splitPath('a/$${b}/c')).toEqual(['a', '$${b}', 'c']);
  });
});
