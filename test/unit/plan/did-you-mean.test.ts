import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggestion } from '../../../src/plan/did-you-mean.js';

describe('did you mean', () => {
  it('measures edits, counting a swap of neighbours as one', () => {
    expect(editDistance('renam', 'rename')).toBe(1);
    expect(editDistance('postgress', 'postgres')).toBe(1);
    expect(editDistance('sourec', 'source')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests close words, case slips, abbreviations and shared stems', () => {
    const keys = ['version', 'kind', 'name', 'source', 'target', 'streams', 'limits', 'verify', 'on_error'];
    expect(didYouMean('limit', keys)).toBe('limits');
    expect(didYouMean('Source', keys)).toBe('source');
    expect(didYouMean('stream', keys)).toBe('streams');
    expect(didYouMean('onerror', keys)).toBe('on_error');
    expect(didYouMean('concurr', ['concurrency', 'batch_size'])).toBe('concurrency');
    expect(didYouMean('migrate', ['migration', 'backup', 'restore'])).toBe('migration');
    expect(didYouMean('azure', ['s3', 'gcs', 'azure-blob'])).toBe('azure-blob');
  });

  it('stays quiet when nothing is close', () => {
    expect(didYouMean('colour', ['version', 'kind', 'name'])).toBeUndefined();
    expect(didYouMean('ab', ['id', 'to'])).toBeUndefined();
    expect(suggestion('zzz', ['a'])).toBe('');
    expect(suggestion('renam', ['rename'])).toBe('; did you mean "rename"?');
  });
});
