import { describe, expect, it } from 'vitest';
import { toFerryError } from '../../../src/connectors/dynamodb/errors.js';

const sdkError = (name: string, status?: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} said no`), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...extra });

const ctx = { op: 'BatchWriteItem on T', endpoint: 'http://127.0.0.1:1' };

describe('DynamoDB errors → taxonomy', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 400, 'THROTTLED', 'throttled'],
    ['ThrottlingException', 400, 'THROTTLED', 'throttled'],
    ['RequestLimitExceeded', 400, 'THROTTLED', 'throttled'],
    ['Whatever', 429, 'THROTTLED', 'throttled'],
    ['InternalServerError', 500, 'TRANSIENT', 'transient'],
    ['ServiceUnavailable', 503, 'TRANSIENT', 'transient'],
    ['UnrecognizedClientException', 400, 'AUTH', 'terminal'],
    ['InvalidSignatureException', 400, 'AUTH', 'terminal'],
    ['AccessDeniedException', 400, 'AUTH', 'terminal'],
    ['ExpiredTokenException', 400, 'AUTH', 'terminal'],
    ['CredentialsProviderError', undefined, 'AUTH', 'terminal'],
    ['ResourceNotFoundException', 400, 'NOT_FOUND', 'terminal'],
    ['ValidationException', 400, 'CONFIG', 'terminal'],
    ['ConditionalCheckFailedException', 400, 'ITEM_REJECTED', 'terminal'],
    ['SomethingNew', 400, 'INTERNAL', 'terminal'],
  ])('%s (%s) → %s, %s', (name, status, code, retry) => {
    const e = toFerryError(sdkError(name, status), ctx);
    expect(e.code).toBe(code);
    expect(e.retry).toBe(retry);
    expect(e.message).toContain('DynamoDB BatchWriteItem on T');
  });

  it('network failures → UNREACHABLE (transient), naming the endpoint', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND']) {
      const e = toFerryError(Object.assign(new Error('connect failed'), { code }), ctx);
      expect(e.code).toBe('UNREACHABLE');
      expect(e.retry).toBe('transient');
      expect(e.message).toContain('http://127.0.0.1:1');
      expect(e.hint).toContain('http://127.0.0.1:1');
    }
    const nested = toFerryError(Object.assign(new Error('x'), { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) }), ctx);
    expect(nested.code).toBe('UNREACHABLE');
    expect(toFerryError(sdkError('TimeoutError'), ctx).code).toBe('UNREACHABLE');
  });

  it('credential errors carry a hint about the AWS credential chain', () => {
    expect(toFerryError(sdkError('UnrecognizedClientException', 400), ctx).hint).toMatch(/AWS default credential chain/);
  });

  it('keeps signatures and access key ids out of messages', () => {
    const said = sdkError('IncompleteSignatureException', 400);
    said.message = "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, Signature=abc123";
    const e = toFerryError(said, ctx);
    expect(e.code).toBe('AUTH');
    expect(e.message).not.toMatch(/AKIAEXAMPLE|abc123/);
  });

  it('a missing region is a CONFIG error that says where to set it', () => {
    const e = toFerryError(new Error('Region is missing'), ctx);
    expect(e.code).toBe('CONFIG');
    expect(e.hint).toMatch(/region/);
  });
});
