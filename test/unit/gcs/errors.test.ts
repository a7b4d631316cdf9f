import { describe, expect, it } from 'vitest';
import { httpStatus, redactGcs, toFerryError } from '../../../src/connectors/gcs/errors.js';
import { FerryError } from '../../../src/errors.js';

const ctx = { op: 'put of gs://b/a.txt', host: '127.0.0.1:4443', bucket: 'b', object: 'a.txt' };
const bucketCtx = { op: 'list of gs://b/', host: '127.0.0.1:4443', bucket: 'b' };

/** An ApiError as @google-cloud/storage's request layer builds it. */
function api(code: number, message: string): Error {
  return Object.assign(new Error(message), { code, errors: [{ message, reason: 'x' }] });
}

describe('GCS errors', () => {
  it('maps HTTP statuses', () => {
    const cases: [number, string, string][] = [
      [401, 'AUTH', 'terminal'],
      [403, 'AUTH', 'terminal'],
      [404, 'NOT_FOUND', 'terminal'],
      [408, 'TRANSIENT', 'transient'],
      [429, 'THROTTLED', 'throttled'],
      [500, 'TRANSIENT', 'transient'],
      [502, 'TRANSIENT', 'transient'],
      [503, 'THROTTLED', 'throttled'],
      [400, 'ITEM_REJECTED', 'terminal'],
      [413, 'ITEM_REJECTED', 'terminal'],
    ];
    for (const [code, want, retry] of cases) {
      const e = toFerryError(api(code, 'Server said so'), ctx);
      expect([code, e.code, e.retry]).toEqual([code, want, retry]);
      expect(e.message).toMatch(/^GCS put of gs:\/\/b\/a\.txt: /);
    }
    expect(toFerryError(api(400, 'invalid bucket name'), bucketCtx).code).toBe('CONFIG');
    expect(toFerryError(api(409, 'already exists'), bucketCtx).code).toBe('CONFIG');
  });

  it('tells a vanished object from a missing bucket', () => {
    const obj = toFerryError(api(404, 'Not Found'), { ...ctx, op: 'get of gs://b/a.txt' });
    expect(obj).toMatchObject({ code: 'NOT_FOUND', details: { bucket: 'b', object: 'a.txt' } });
    const bucket = toFerryError(api(404, 'Not Found'), bucketCtx);
    expect(bucket).toMatchObject({ code: 'NOT_FOUND', details: { bucket: 'b' } });
    expect(bucket.hint).toMatch(/create it, or set `create: true`/);
    // An upload's 404 is the bucket's: no `object`, which would read as "the object vanished".
    const upload = toFerryError(api(404, 'Not Found'), { ...ctx, writing: true });
    expect(upload.details).toEqual({ bucket: 'b' });
    expect(upload.message).toContain('bucket gs://b does not exist');
  });

  it('maps integrity failures to TRANSIENT with a clear message', () => {
    const sdk = Object.assign(new Error('The uploaded data did not match the data from the server.\n    As a precaution, the file has been deleted.'), { code: 'FILE_NO_UPLOAD' });
    const e = toFerryError(sdk, ctx);
    expect(e).toMatchObject({ code: 'TRANSIENT', retry: 'transient' });
    expect(e.message).toBe('GCS put of gs://b/a.txt: the MD5/CRC32C of the data ferry sent does not match what the server stored (the SDK deleted the object); retried from the source');
    expect(toFerryError(Object.assign(new Error('x'), { code: 'FILE_NO_UPLOAD_DELETE' }), ctx).message).toMatch(/could not delete/);
    expect(toFerryError(Object.assign(new Error('x'), { code: 'CONTENT_DOWNLOAD_MISMATCH' }), ctx).message).toMatch(/downloaded/);
    const server = toFerryError(api(400, 'provided MD5 hash "eV8y" doesn\'t match calculated MD5 hash "XUFA"'), ctx);
    expect(server).toMatchObject({ code: 'TRANSIENT' });
    expect(server.message).toMatch(/not what the source listed/);
  });

  it('names host:port when the endpoint is unreachable', () => {
    const fetchError = Object.assign(new Error('request to http://127.0.0.1:1/storage/v1/b/b/o? failed, reason: connect ECONNREFUSED 127.0.0.1:1'), {
      name: 'FetchError',
      code: 'ECONNREFUSED',
      errno: 'ECONNREFUSED',
    });
    const e = toFerryError(fetchError, { ...bucketCtx, host: '127.0.0.1:1' });
    expect(e).toMatchObject({ code: 'UNREACHABLE', retry: 'transient', message: 'GCS list of gs://b/: cannot reach 127.0.0.1:1 (ECONNREFUSED)' });
    expect(e.hint).toMatch(/STORAGE_EMULATOR_HOST/);
    const gaxios = Object.assign(new Error('request to http://h/upload failed'), { cause: { code: 'ECONNRESET' } });
    expect(toFerryError(gaxios, ctx).code).toBe('UNREACHABLE');
  });

  it('maps missing credentials and unreadable key files', () => {
    const adc = toFerryError(new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.'), ctx);
    expect(adc.code).toBe('AUTH');
    expect(adc.hint).toMatch(/Application Default Credentials/);
    const key = toFerryError(Object.assign(new Error("ENOENT: no such file or directory, open '/secrets/sa.json'"), { code: 'ENOENT' }), { ...ctx, keyFile: '/secrets/sa.json' });
    expect(key).toMatchObject({ code: 'CONFIG', message: 'GCS put of gs://b/a.txt: cannot read the key file /secrets/sa.json (ENOENT)' });
  });

  it('passes FerryErrors through, maps aborts to INTERRUPTED and the unknown to INTERNAL', () => {
    const f = new FerryError('THROTTLED', 'x');
    expect(toFerryError(f, ctx)).toBe(f);
    expect(toFerryError(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }), ctx).code).toBe('INTERRUPTED');
    expect(toFerryError(new Error('??'), ctx).code).toBe('INTERNAL');
  });

  it('keeps resumable session ids and credentials out of messages', () => {
    expect(redactGcs('PUT http://h/upload/storage/v1/b/b/o?uploadType=resumable&name=a&upload_id=ADPycdt3 failed')).toBe(
      'PUT http://h/upload/storage/v1/b/b/o?uploadType=resumable&name=a&upload_id=*** failed',
    );
    const e = toFerryError(api(500, 'boom at https://h/o?upload_id=SECRET1&x=1 token=abc'), ctx);
    expect(e.message).not.toContain('SECRET1');
    expect(e.message).not.toContain('abc');
  });

  it('reads the status of ApiError, GaxiosError and string codes', () => {
    expect(httpStatus({ code: 404 })).toBe(404);
    expect(httpStatus({ code: '503' })).toBe(503);
    expect(httpStatus({ status: 429 })).toBe(429);
    expect(httpStatus({ response: { status: 401 } })).toBe(401);
    expect(httpStatus({ code: 'ECONNRESET' })).toBeUndefined();
  });
});
