/**
 * The S3 connector's pure parts: part planning, ETag and MD5 forms, listed-key decoding, metadata encoding, the exact
 * reader, options and client settings, and the error table of errors.ts (with the SDK's own exception classes).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { NoSuchBucket, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Client, environmentEndpoint, hostPort } from '../../../src/connectors/s3/client.js';
import { toFerryError, type S3ErrorContext } from '../../../src/connectors/s3/errors.js';
import { parseS3Options, s3Options } from '../../../src/connectors/s3/options.js';
import {
  decodeListedKey,
  decodeMetadataValue,
  encodeMetadataValue,
  ExactReader,
  md5Base64ToHex,
  md5FromEtag,
  md5HexToBase64,
  MiB,
  multipartEtag,
  planParts,
  unquoteEtag,
} from '../../../src/connectors/s3/store.js';
import { FerryError } from '../../../src/errors.js';

const TiB = 1024 ** 4;

describe('planParts', () => {
  it('uses the configured part size while 10,000 parts suffice', () => {
    expect(planParts(20_000_000, 5 * MiB)).toEqual({ partSize: 5 * MiB, parts: 4, grown: false });
    expect(planParts(8 * MiB + 1, 8 * MiB)).toEqual({ partSize: 8 * MiB, parts: 2, grown: false });
    expect(planParts(10_000 * 8 * MiB, 8 * MiB)).toEqual({ partSize: 8 * MiB, parts: 10_000, grown: false });
  });

  it('grows the part size to size / 10,000 rounded up to a MiB for huge objects', () => {
    expect(planParts(10_000 * 8 * MiB + 1, 8 * MiB)).toEqual({ partSize: 9 * MiB, parts: 8_889, grown: true });
    const max = planParts(5 * TiB, 8 * MiB);
    expect(max.partSize).toBe(525 * MiB); // 5 TiB / 10,000 = 524.3 MiB
    expect(max.parts).toBeLessThanOrEqual(10_000);
    expect(max.parts).toBe(Math.ceil((5 * TiB) / (525 * MiB)));
    expect(max.grown).toBe(true);
  });
});

describe('MD5 and ETag forms', () => {
  const hex = createHash('md5').update('abc').digest('hex');
  const b64 = createHash('md5').update('abc').digest('base64');

  it('converts hex ↔ base64 and refuses what is no MD5', () => {
    expect(md5HexToBase64(hex)).toBe(b64);
    expect(md5HexToBase64(hex.toUpperCase())).toBe(b64);
    expect(md5Base64ToHex(b64)).toBe(hex);
    expect(() => md5HexToBase64('abc')).toThrow(FerryError);
    expect(() => md5Base64ToHex('YWJj')).toThrow(FerryError);
  });

  it('reads an MD5 only from a single-part ETag', () => {
    expect(unquoteEtag(`"${hex}"`)).toBe(hex);
    expect(unquoteEtag(`W/"${hex}"`)).toBe(hex);
    expect(unquoteEtag(undefined)).toBeUndefined();
    expect(md5FromEtag(hex)).toBe(hex);
    expect(md5FromEtag(hex.toUpperCase())).toBe(hex);
    expect(md5FromEtag(`${hex}-3`)).toBeUndefined();
    expect(md5FromEtag('abc')).toBeUndefined();
    expect(md5FromEtag(undefined)).toBeUndefined();
  });

  it('computes the multipart ETag as S3 does: MD5 of the binary part MD5s, then -N', () => {
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.from('tail')];
    const md5s = parts.map((p) => createHash('md5').update(p).digest());
    // The value gofakes3 (and S3) answered for these two parts.
    expect(multipartEtag(md5s)).toBe('1b5586dcc4c977ad9eb82c917af59a83-2');
    expect(multipartEtag([createHash('md5').update('x').digest()])).toMatch(/^[0-9a-f]{32}-1$/);
  });
});

describe('names and metadata', () => {
  it('decodes URL-encoded listed keys (form encoding: + is a space)', () => {
    expect(decodeListedKey('a+b%2Bc%25d')).toBe('a b+c%d');
    expect(decodeListedKey('dir/%E6%9D%B1%E4%BA%AC/%F0%9F%9A%A2')).toBe('dir/東京/🚢');
    expect(decodeListedKey('ctl%01x')).toBe('ctl\u0001x');
  });

  it('sends printable ASCII metadata as is and anything else RFC 2047-encoded, and reads both back', () => {
    for (const v of ['plain', 'a=b; c', '', 'Zoë — 東京 🚢', ' edge ', 'tab\there', '=?UTF-8?B?looks-encoded?=']) {
      const enc = encodeMetadataValue(v);
      expect(enc).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeMetadataValue(enc)).toBe(v);
    }
    expect(encodeMetadataValue('plain')).toBe('plain');
    expect(encodeMetadataValue('é')).toBe('=?UTF-8?B?w6k=?=');
    // The Q form, as some tools write it.
    expect(decodeMetadataValue('=?utf-8?Q?Zo=C3=AB_x?=')).toBe('Zoë x');
  });
});

describe('ExactReader', () => {
  const chunks = (sizes: number[]): Readable => Readable.from(sizes.map((n, i) => Buffer.alloc(n, i + 1)));

  it('cuts a stream into slices of exact lengths across chunk boundaries', async () => {
    const r = new ExactReader(chunks([3, 5, 2]), 10);
    const a = await r.read(4);
    const b = await r.read(6);
    await r.expectEnd();
    expect([...a]).toEqual([1, 1, 1, 2]);
    expect([...b]).toEqual([2, 2, 2, 2, 3, 3]);
    expect(r.consumed).toBe(10);
  });

  it('reads strings as UTF-8 and zero bytes from an empty stream', async () => {
    const r = new ExactReader(Readable.from(['hé']), 3);
    expect((await r.read(3)).toString('utf8')).toBe('hé');
    await r.expectEnd();
    const e = new ExactReader(Readable.from([]), 0);
    expect((await e.read(0)).length).toBe(0);
    await e.expectEnd();
  });

  it('says when the stream is shorter or longer than expected, naming the object', async () => {
    const short = new ExactReader(chunks([3]), 4, undefined, 'S3 PutObject s3://b/k: ', { object: 'k' });
    await expect(short.read(4)).rejects.toMatchObject({
      code: 'TRANSIENT',
      message: 'S3 PutObject s3://b/k: the content ended after 3 of 4 bytes (the source object changed or its read failed)',
      details: { object: 'k' },
    });
    const long = new ExactReader(chunks([3, 2]), 4);
    await long.read(4);
    await expect(long.expectEnd()).rejects.toMatchObject({ code: 'TRANSIENT', message: expect.stringContaining('longer than the 4 bytes') });
  });

  it('stops waiting on a stalled stream when its signal fires', async () => {
    const stalled = new Readable({ read() {} });
    const ac = new AbortController();
    const r = new ExactReader(stalled, 10, ac.signal);
    const p = r.read(10);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('options', () => {
  it('fills the defaults and keeps what the plan says', () => {
    expect(parseS3Options({ bucket: 'b' })).toEqual({ bucket: 'b', create: false, partSizeMb: 8, partConcurrency: 4, etagMd5: true });
    expect(
      parseS3Options({
        bucket: 'b',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9000',
        force_path_style: false,
        storage_class: 'STANDARD_IA',
        create: true,
        part_size_mb: 16,
        part_concurrency: 8,
        request_checksums: 'when_supported',
        etag_md5: false,
      }),
    ).toEqual({
      bucket: 'b',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: false,
      storageClass: 'STANDARD_IA',
      create: true,
      partSizeMb: 16,
      partConcurrency: 8,
      requestChecksums: 'when_supported',
      etagMd5: false,
    });
    expect(parseS3Options({ bucket: 'b', part_size_mb: 1 }).partSizeMb).toBe(5);
  });

  it('describes the new keys in the schema with their bounds', () => {
    const props = s3Options['properties'] as Record<string, Record<string, unknown>>;
    expect(props['part_size_mb']).toMatchObject({ type: 'integer', minimum: 5, maximum: 5120, default: 8 });
    expect(props['part_concurrency']).toMatchObject({ type: 'integer', minimum: 1, default: 4 });
    expect(props['request_checksums']).toMatchObject({ enum: ['when_required', 'when_supported'] });
    for (const k of ['bucket', 'region', 'endpoint', 'force_path_style', 'profile', 'access_key_id', 'secret_access_key', 'session_token', 'storage_class', 'create', 'etag_md5', 'transfers', 'large_transfers']) {
      expect(props[k]?.['description']).toEqual(expect.any(String));
    }
  });
});

describe('client', () => {
  it('names host:port of the endpoint, or of AWS', () => {
    expect(hostPort('http://127.0.0.1:9000', undefined)).toBe('127.0.0.1:9000');
    expect(hostPort('https://minio.example', undefined)).toBe('minio.example:443');
    expect(hostPort('http://minio.example', undefined)).toBe('minio.example:80');
    expect(hostPort(undefined, 'eu-west-1')).toBe('s3.eu-west-1.amazonaws.com:443');
  });

  it('reads the SDK endpoint variables, unless told to ignore them', () => {
    expect(environmentEndpoint({ AWS_ENDPOINT_URL_S3: 'http://a:1', AWS_ENDPOINT_URL: 'http://b:2' })).toBe('http://a:1');
    expect(environmentEndpoint({ AWS_ENDPOINT_URL: 'http://b:2' })).toBe('http://b:2');
    expect(environmentEndpoint({ AWS_ENDPOINT_URL: 'http://b:2', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBeUndefined();
    expect(environmentEndpoint({ S3_ENDPOINT: 'http://c:3' })).toBeUndefined();
  });

  it('with a custom endpoint: path style, us-east-1 and when_required checksums unless the plan says otherwise', async () => {
    const c = createS3Client(parseS3Options({ bucket: 'b', endpoint: 'http://127.0.0.1:9000' }), undefined, {});
    expect(c).toMatchObject({ endpoint: 'http://127.0.0.1:9000', where: '127.0.0.1:9000', region: 'us-east-1', requestChecksums: 'when_required', forcePathStyle: true });
    expect(await c.client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await c.client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(c.client.config.forcePathStyle).toBe(true);
    c.client.destroy();

    const v = createS3Client(parseS3Options({ bucket: 'b' }), undefined, { AWS_ENDPOINT_URL_S3: 'http://10.0.0.1:7480' });
    expect(v).toMatchObject({ endpoint: 'http://10.0.0.1:7480', requestChecksums: 'when_required', forcePathStyle: true });
    v.client.destroy();

    const o = createS3Client(
      parseS3Options({ bucket: 'b', endpoint: 'http://h:1', force_path_style: false, request_checksums: 'when_supported', region: 'eu-west-3' }),
      undefined,
      {},
    );
    expect(o).toMatchObject({ forcePathStyle: false, requestChecksums: 'when_supported', region: 'eu-west-3' });
    o.client.destroy();
  });

  it('on AWS: the SDK checksum default (when_supported), virtual-hosted buckets, the region of the environment', async () => {
    const c = createS3Client(parseS3Options({ bucket: 'b' }), undefined, { AWS_REGION: 'ap-south-1' });
    expect(c).toMatchObject({ endpoint: undefined, where: 's3.ap-south-1.amazonaws.com:443', requestChecksums: 'when_supported', forcePathStyle: false });
    expect(await c.client.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    c.client.destroy();
  });
});

describe('errors', () => {
  const ctx: S3ErrorContext = { op: 'PutObject', url: 's3://bkt/a/b.txt', subject: 'object', where: '127.0.0.1:9000', object: 'a/b.txt' };
  const s3Error = (name: string, status: number, fault: 'client' | 'server' = 'client'): S3ServiceException =>
    new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: `${name} happened` });
  const code = (e: unknown, c: S3ErrorContext = ctx): string => toFerryError(e, c).code;

  it('maps credentials refusals to AUTH with the credential-chain hint', () => {
    for (const n of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken']) {
      const f = toFerryError(s3Error(n, 403), ctx);
      expect(f).toMatchObject({ code: 'AUTH', retry: 'terminal' });
      expect(f.hint).toContain('AWS_PROFILE');
    }
    expect(code(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }))).toBe('AUTH');
  });

  it('maps throttling to THROTTLED and server failures and resets to TRANSIENT', () => {
    expect(toFerryError(s3Error('SlowDown', 503, 'server'), ctx)).toMatchObject({ code: 'THROTTLED', retry: 'throttled' });
    expect(code(s3Error('ServiceUnavailable', 503, 'server'))).toBe('THROTTLED');
    expect(code(s3Error('TooManyRequests', 429))).toBe('THROTTLED');
    expect(toFerryError(s3Error('InternalError', 500, 'server'), ctx)).toMatchObject({ code: 'TRANSIENT', retry: 'transient' });
    expect(code(s3Error('Whatever', 502, 'server'))).toBe('TRANSIENT');
    expect(code(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe('TRANSIENT');
    expect(code(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('TRANSIENT');
    expect(code(s3Error('RequestTimeout', 400))).toBe('TRANSIENT');
    expect(code(s3Error('NoSuchUpload', 404))).toBe('TRANSIENT');
  });

  it('maps a refused connection to UNREACHABLE naming host:port, also inside an AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
    const f = toFerryError(refused, ctx);
    expect(f).toMatchObject({ code: 'UNREACHABLE', retry: 'transient' });
    expect(f.message).toContain('cannot reach 127.0.0.1:9000 (ECONNREFUSED)');
    expect(code(new AggregateError([refused], 'all failed'))).toBe('UNREACHABLE');
    expect(code(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }))).toBe('UNREACHABLE');
    const connectTimeout = Object.assign(new Error('Socket timed out without establishing a connection within 5000 ms'), { name: 'TimeoutError' });
    expect(code(connectTimeout)).toBe('UNREACHABLE');
  });

  it('maps digest mismatches to TRANSIENT with a message that says the bytes were damaged', () => {
    for (const n of ['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch']) {
      const f = toFerryError(s3Error(n, 400), ctx);
      expect(f.code).toBe('TRANSIENT');
      expect(f.message).toContain('damaged on the way');
    }
  });

  it('maps missing buckets and objects to NOT_FOUND; only object errors carry details.object', () => {
    const bucket = toFerryError(new NoSuchBucket({ $metadata: { httpStatusCode: 404 }, message: 'The specified bucket does not exist' }), ctx);
    expect(bucket).toMatchObject({ code: 'NOT_FOUND', retry: 'terminal' });
    expect(bucket.message).toContain('the bucket bkt does not exist');
    expect(bucket.hint).toContain('create: true');
    expect(bucket.details?.['object']).toBeUndefined();
    const bare404 = toFerryError(s3Error('NotFound', 404), { ...ctx, op: 'HeadBucket', url: 's3://bkt', subject: 'bucket', object: undefined });
    expect(bare404.message).toContain('the bucket bkt does not exist');
    const key = toFerryError(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }), ctx);
    expect(key).toMatchObject({ code: 'NOT_FOUND', details: { object: 'a/b.txt' } });
  });

  it('maps what one object can never be to ITEM_REJECTED, and bad settings to CONFIG', () => {
    for (const n of ['EntityTooLarge', 'KeyTooLongError', 'MetadataTooLarge', 'InvalidObjectState']) expect(code(s3Error(n, 400))).toBe('ITEM_REJECTED');
    expect(code(Object.assign(new TypeError('Invalid character in header content ["x-amz-meta-a"]'), { code: 'ERR_INVALID_CHAR' }))).toBe('ITEM_REJECTED');
    const region = toFerryError(s3Error('AuthorizationHeaderMalformed', 400), ctx);
    expect(region).toMatchObject({ code: 'CONFIG' });
    expect(region.hint).toContain('region');
    expect(code(s3Error('InvalidStorageClass', 400))).toBe('CONFIG');
    expect(toFerryError(s3Error('RequestTimeTooSkewed', 403), ctx).code).toBe('CONFIG');
    expect(code(new Error('Region is missing'))).toBe('CONFIG');
  });

  it('maps aborts to INTERRUPTED and the unknown to INTERNAL; never leaks a signature', () => {
    expect(code(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }))).toBe('INTERRUPTED');
    expect(code(s3Error('SomethingNew', 400))).toBe('INTERNAL');
    const f = toFerryError(s3Error('InvalidArgument', 400), ctx);
    expect(f.message).toBe('S3 PutObject s3://bkt/a/b.txt: InvalidArgument: InvalidArgument happened');
    const leaky = new S3ServiceException({
      name: 'Weird',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'bad header Credential=AKIAEXAMPLE/20250101/us-east-1/s3/aws4_request, Signature=deadbeef',
    });
    const m = toFerryError(leaky, ctx).message;
    expect(m).not.toContain('AKIAEXAMPLE');
    expect(m).not.toContain('deadbeef');
  });
});
