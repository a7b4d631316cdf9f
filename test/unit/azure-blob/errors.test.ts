import { describe, expect, it } from 'vitest';
import { accountOfEndpoint, hostPortOf } from '../../../src/connectors/azure-blob/client.js';
import { toFerryError } from '../../../src/connectors/azure-blob/errors.js';
import { parseAzureBlobOptions } from '../../../src/connectors/azure-blob/options.js';

/** The shape of the SDK's RestError: `code`, `statusCode`, and the service's `x-ms-error-code` in details. */
const restError = (errorCode: string | undefined, statusCode: number | undefined, message = `${errorCode} said no\nRequestId:abc\nTime:now`) =>
  Object.assign(new Error(message), { name: 'RestError', code: errorCode, statusCode, details: errorCode ? { errorCode } : {} });

const ctx = { op: 'put a.txt', url: 'azure://acct/box', hostPort: '127.0.0.1:10000', container: 'box' };

describe('Azure Blob errors → taxonomy', () => {
  it.each([
    ['ServerBusy', 503, 'THROTTLED', 'throttled'],
    ['TooManyRequests', 429, 'THROTTLED', 'throttled'],
    [undefined, 503, 'THROTTLED', 'throttled'],
    ['InternalError', 500, 'TRANSIENT', 'transient'],
    ['OperationTimedOut', 500, 'TRANSIENT', 'transient'],
    [undefined, 502, 'TRANSIENT', 'transient'],
    ['AuthenticationFailed', 403, 'AUTH', 'terminal'],
    ['AuthorizationFailure', 403, 'AUTH', 'terminal'],
    ['AuthorizationPermissionMismatch', 403, 'AUTH', 'terminal'],
    ['ContainerNotFound', 404, 'NOT_FOUND', 'terminal'],
    ['BlobNotFound', 404, 'NOT_FOUND', 'terminal'],
    ['Md5Mismatch', 400, 'TRANSIENT', 'transient'],
    ['InvalidBlobOrBlock', 400, 'ITEM_REJECTED', 'terminal'],
    ['RequestBodyTooLarge', 413, 'ITEM_REJECTED', 'terminal'],
    ['InvalidMetadata', 400, 'ITEM_REJECTED', 'terminal'],
    ['BlobArchived', 409, 'ITEM_REJECTED', 'terminal'],
    ['SomethingNew', 400, 'INTERNAL', 'terminal'],
  ])('%s (%s) → %s, %s', (errorCode, status, code, retry) => {
    const e = toFerryError(restError(errorCode, status), ctx);
    expect(e.code).toBe(code);
    expect(e.retry).toBe(retry);
    expect(e.message).toContain('Azure Blob put a.txt (azure://acct/box)');
    expect(e.message).not.toContain('RequestId');
  });

  it("Azurite's MD5 refusal (InvalidOperation) is a transient mismatch", () => {
    const e = toFerryError(restError('InvalidOperation', 400, "Provided contentMD5 doesn't match.\nRequestId:x"), ctx);
    expect(e.code).toBe('TRANSIENT');
    expect(e.message).toMatch(/changed in transit/);
  });

  it('names host:port when the server does not answer', () => {
    const e = toFerryError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'RestError', code: 'ECONNREFUSED' }), ctx);
    expect(e.code).toBe('UNREACHABLE');
    expect(e.message).toContain('127.0.0.1:10000');
  });

  it('a missing container hints at `create: true`', () => {
    const e = toFerryError(restError('ContainerNotFound', 404), ctx);
    expect(e.message).toContain('the container box does not exist');
    expect(e.hint).toContain('create: true');
  });

  it('aborts are interruptions; identity errors are AUTH', () => {
    expect(toFerryError(Object.assign(new Error('aborted'), { name: 'AbortError' }), ctx).code).toBe('INTERRUPTED');
    expect(toFerryError(Object.assign(new Error('no credential'), { name: 'CredentialUnavailableError' }), ctx).code).toBe('AUTH');
  });

  it('keeps keys and signatures out of messages', () => {
    const e = toFerryError(restError('AuthenticationFailed', 403, 'bad request ?sv=1&sig=SECRETSIG AccountKey=SECRETKEY'), ctx);
    expect(e.message).not.toMatch(/SECRETSIG|SECRETKEY/);
  });
});

describe('Azure Blob client helpers and options', () => {
  it('finds the account of an endpoint', () => {
    expect(accountOfEndpoint('https://myacct.blob.core.windows.net')).toBe('myacct');
    expect(accountOfEndpoint('http://127.0.0.1:10000/devstoreaccount1')).toBe('devstoreaccount1');
    expect(accountOfEndpoint('http://localhost:10000/devstoreaccount1/')).toBe('devstoreaccount1');
    expect(accountOfEndpoint('not a url')).toBeUndefined();
  });

  it('spells out default ports', () => {
    expect(hostPortOf('https://myacct.blob.core.windows.net/')).toBe('myacct.blob.core.windows.net:443');
    expect(hostPortOf('http://127.0.0.1:10000/devstoreaccount1')).toBe('127.0.0.1:10000');
  });

  it('parses options with defaults', () => {
    expect(parseAzureBlobOptions({ container: 'box', account: 'acct' })).toEqual({ container: 'box', account: 'acct', create: false, partSizeMb: 8, partConcurrency: 4 });
    const o = parseAzureBlobOptions({ container: 'box', endpoint: 'http://x', account_key: 'k', access_tier: 'Cool', create: true, part_size_mb: 5, part_concurrency: 2 });
    expect(o).toMatchObject({ endpoint: 'http://x', accountKey: 'k', accessTier: 'Cool', create: true, partSizeMb: 5, partConcurrency: 2 });
  });
});
