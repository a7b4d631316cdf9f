import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { infoOf, md5Base64ToHex, md5HexToBase64, uploadMetadata } from '../../../src/connectors/gcs/store.js';

describe('GCS store helpers', () => {
  it('converts MD5s between hex and base64', () => {
    expect(md5HexToBase64('5d41402abc4b2a76b9719d911017c592')).toBe('XUFAKrxLKna5cZ2REBfFkg==');
    expect(md5Base64ToHex('XUFAKrxLKna5cZ2REBfFkg==')).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(md5HexToBase64('5D41402ABC4B2A76B9719D911017C592')).toBe('XUFAKrxLKna5cZ2REBfFkg==');
    expect(md5HexToBase64('abc')).toBeUndefined();
    expect(md5HexToBase64('5d41402abc4b2a76b9719d911017c592-3')).toBeUndefined();
    expect(md5Base64ToHex('AAAA')).toBeUndefined();
    expect(md5Base64ToHex(undefined)).toBeUndefined();
    expect(md5Base64ToHex('')).toBeUndefined();
  });

  it('turns an object resource into a detailed ObjectInfo, user metadata names lower-cased', () => {
    expect(
      infoOf({
        name: 'a/b.txt',
        size: '5',
        md5Hash: 'XUFAKrxLKna5cZ2REBfFkg==',
        crc32c: 'mnG7TA==',
        etag: 'CKih16GjycICEAE=',
        updated: '2024-05-01T10:00:00.000Z',
        contentType: 'text/plain',
        contentEncoding: 'gzip',
        contentLanguage: 'fr',
        cacheControl: 'no-cache',
        contentDisposition: 'inline',
        storageClass: 'NEARLINE',
        metadata: { Origin: 's3', n: 3 as unknown as string, gone: null as unknown as string },
      }),
    ).toEqual({
      name: 'a/b.txt',
      size: 5,
      md5: '5d41402abc4b2a76b9719d911017c592',
      crc32c: 'mnG7TA==',
      etag: 'CKih16GjycICEAE=',
      lastModified: '2024-05-01T10:00:00.000Z',
      contentType: 'text/plain',
      contentEncoding: 'gzip',
      contentLanguage: 'fr',
      cacheControl: 'no-cache',
      contentDisposition: 'inline',
      storageClass: 'NEARLINE',
      metadata: { origin: 's3', n: '3' },
      detailed: true,
    });
    // A composite object: no md5Hash.
    expect(infoOf({ name: 'c', size: 10, crc32c: 'AAAAAA==', componentCount: 2 })).toEqual({ name: 'c', size: 10, crc32c: 'AAAAAA==', metadata: {}, detailed: true });
  });

  it('writes headers, user metadata, the storage class and the declared MD5, and no guessed content type', () => {
    const base = { name: 'x.html', body: Readable.from([]), size: 0, metadata: { k: 'v' }, signal: new AbortController().signal };
    expect(uploadMetadata(base, undefined)).toEqual({ contentType: 'application/octet-stream', metadata: { k: 'v' } });
    expect(
      uploadMetadata(
        { ...base, md5: '5d41402abc4b2a76b9719d911017c592', contentType: 'text/html', contentEncoding: 'gzip', contentLanguage: 'de', cacheControl: 'max-age=1', contentDisposition: 'inline' },
        'COLDLINE',
      ),
    ).toEqual({
      contentType: 'text/html',
      contentEncoding: 'gzip',
      contentLanguage: 'de',
      cacheControl: 'max-age=1',
      contentDisposition: 'inline',
      storageClass: 'COLDLINE',
      md5Hash: 'XUFAKrxLKna5cZ2REBfFkg==',
      metadata: { k: 'v' },
    });
  });
});
