/**
 * The server's wait, read and capped (src/util/retry-after.ts), and carried as `retryAfterMs` by every connector's
 * error mapping on a throttling answer, from the shape its SDK gives: S3 and DynamoDB `$response.headers`, Azure
 * `RestError.response.headers`, GCS `ApiError.response.headers`, Firestore's decoded google.rpc.RetryInfo.
 */
import { createHttpHeaders, RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { toFerryError as azureError } from '../../../src/connectors/azure-blob/errors.js';
import { toFerryError as dynamoError } from '../../../src/connectors/dynamodb/errors.js';
import { toFerryError as firestoreError } from '../../../src/connectors/firestore/errors.js';
import { toFerryError as gcsError } from '../../../src/connectors/gcs/errors.js';
import { toFerryError as s3Error } from '../../../src/connectors/s3/errors.js';
import { MAX_RETRY_AFTER_MS, retryAfterMs, retryDelayMs } from '../../../src/util/retry-after.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('retryAfterMs', () => {
  it('reads delta-seconds, an HTTP-date, and the millisecond headers (those first)', () => {
    expect(retryAfterMs({ 'Retry-After': '3' }, NOW)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': ['7'] }, NOW)).toBe(7000);
    expect(retryAfterMs({ 'retry-after': 'Mon, 07 Dec 2026 12:00:20 GMT' }, NOW)).toBe(20_000);
    expect(retryAfterMs({ 'retry-after': '9', 'x-ms-retry-after-ms': '1500' }, NOW)).toBe(1500);
    expect(retryAfterMs({ 'retry-after-ms': '250.5' }, NOW)).toBe(251);
    expect(retryAfterMs({ 'x-amz-retry-after': '400' }, NOW)).toBe(400);
    expect(retryAfterMs(createHttpHeaders({ 'x-ms-retry-after-ms': '80' }), NOW)).toBe(80);
  });

  it('caps what would stall the job, floors a date in the past at 0, ignores what it cannot read', () => {
    expect(retryAfterMs({ 'retry-after': '86400' }, NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs({ 'retry-after': 'Mon, 07 Dec 2026 11:00:00 GMT' }, NOW)).toBe(0);
    for (const bad of [{ 'retry-after': 'soon' }, { 'retry-after': '-5' }, { 'retry-after': '' }, { 'x-ms-retry-after-ms': 'x' }, {}, undefined, null]) {
      expect(retryAfterMs(bad as never, NOW)).toBeUndefined();
    }
    expect(retryDelayMs(2, 500_000_000)).toBe(2500);
    expect(retryDelayMs(3600)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('each connector carries the wait on THROTTLED', () => {
  it('S3: SlowDown with Retry-After in $response.headers', () => {
    const e = Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
      $response: { statusCode: 503, headers: { 'retry-after': '4' } },
    });
    const f = s3Error(e, { op: 'PutObject', url: 's3://b', subject: 'object', where: '127.0.0.1:1', object: 'a' });
    expect([f.code, f.retryAfterMs]).toEqual(['THROTTLED', 4000]);
    const bare = s3Error({ ...e, $response: { headers: {} } }, { op: 'PutObject', url: 's3://b', subject: 'object', where: '127.0.0.1:1' });
    expect([bare.code, bare.retryAfterMs]).toEqual(['THROTTLED', undefined]);
  });

  it('DynamoDB: a throttling exception with Retry-After', () => {
    const e = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
      $response: { statusCode: 400, headers: { 'Retry-After': '2' } },
    });
    const f = dynamoError(e, { op: 'BatchWriteItem on T', endpoint: 'http://127.0.0.1:1' });
    expect([f.code, f.retryAfterMs]).toEqual(['THROTTLED', 2000]);
  });

  it('Azure Blob: ServerBusy RestError with x-ms-retry-after-ms', () => {
    const e = new RestError('The server is busy.', {
      code: 'ServerBusy',
      statusCode: 503,
      response: { headers: createHttpHeaders({ 'x-ms-retry-after-ms': '1200', 'x-ms-error-code': 'ServerBusy' }), status: 503, request: undefined as never },
    });
    const f = azureError(e, { op: 'put a.txt', url: 'azure://acct/box', hostPort: '127.0.0.1:10000', container: 'box' });
    expect([f.code, f.retryAfterMs]).toEqual(['THROTTLED', 1200]);
  });

  it('GCS: 429 ApiError with Retry-After in response.headers', () => {
    const e = Object.assign(new Error('The rate of change requests to the object is too high.'), { code: 429, response: { statusCode: 429, headers: { 'retry-after': '5' } } });
    const f = gcsError(e, { op: 'put of gs://b/a.txt', host: '127.0.0.1:4443', bucket: 'b', object: 'a.txt' });
    expect([f.code, f.retryAfterMs]).toEqual(['THROTTLED', 5000]);
  });

  it('Firestore: RESOURCE_EXHAUSTED with a RetryInfo detail (seconds as a Long, as google-gax decodes it)', () => {
    const long = { low: 3, high: 0, unsigned: false, toString: () => '3' };
    const e = Object.assign(new Error('8 RESOURCE_EXHAUSTED: Quota exceeded.'), { code: 8, details: 'Quota exceeded.', statusDetails: [{ retryDelay: { seconds: long, nanos: 250_000_000 } }] });
    const f = firestoreError(e, { op: 'commit of 500 writes', host: '127.0.0.1:8080' });
    expect([f.code, f.retryAfterMs]).toEqual(['THROTTLED', 3250]);
    const none = firestoreError(Object.assign(new Error('8 RESOURCE_EXHAUSTED: Quota exceeded.'), { code: 8, details: 'Quota exceeded.' }), { op: 'commit', host: 'h' });
    expect([none.code, none.retryAfterMs]).toEqual(['THROTTLED', undefined]);
  });
});
