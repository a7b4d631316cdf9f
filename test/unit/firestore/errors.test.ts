import { describe, expect, it } from 'vitest';
import { isDocumentRefusal, isTooLarge, toFerryError } from '../../../src/connectors/firestore/errors.js';

function grpc(code: number, message: string): Error {
  const name = { 3: 'INVALID_ARGUMENT', 8: 'RESOURCE_EXHAUSTED', 14: 'UNAVAILABLE' }[code as 3] ?? 'X';
  return Object.assign(new Error(`${code} ${name}: ${message}`), { code, details: message });
}

const ctx = { op: 'commit of 500 writes (artists/1, …)', host: '127.0.0.1:8080' };

describe('Firestore errors', () => {
  it('maps gRPC statuses to the taxonomy', () => {
    const cases: [number, string, string][] = [
      [8, 'THROTTLED', 'throttled'],
      [429, 'THROTTLED', 'throttled'],
      [14, 'TRANSIENT', 'transient'],
      [4, 'TRANSIENT', 'transient'],
      [10, 'TRANSIENT', 'transient'],
      [13, 'TRANSIENT', 'transient'],
      [503, 'TRANSIENT', 'transient'],
      [7, 'AUTH', 'terminal'],
      [16, 'AUTH', 'terminal'],
      [403, 'AUTH', 'terminal'],
      [5, 'NOT_FOUND', 'terminal'],
      [6, 'ITEM_REJECTED', 'terminal'],
      [3, 'CONFIG', 'terminal'],
      [9, 'CONFIG', 'terminal'],
      [12, 'UNSUPPORTED', 'terminal'],
    ];
    for (const [code, want, retry] of cases) {
      const f = toFerryError(grpc(code, 'said'), ctx);
      expect([code, f.code, f.retry]).toEqual([code, want, retry]);
      expect(f.message.startsWith('Firestore commit of 500 writes (artists/1, …): ')).toBe(true);
    }
  });

  it("keeps the server's words and names the host when it cannot connect", () => {
    expect(toFerryError(grpc(8, 'Quota exceeded.'), ctx).message).toBe('Firestore commit of 500 writes (artists/1, …): throttled (RESOURCE_EXHAUSTED): Quota exceeded.');
    const down = toFerryError(grpc(14, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:8080'), ctx);
    expect(down).toMatchObject({ code: 'UNREACHABLE', retry: 'transient' });
    expect(down.hint).toMatch(/127\.0\.0\.1:8080/);
    expect(toFerryError(new Error('Could not load the default credentials. Browse to https://…'), ctx)).toMatchObject({ code: 'AUTH' });
    expect(toFerryError(new Error('boom'), ctx)).toMatchObject({ code: 'INTERNAL', retry: 'terminal' });
  });

  it('tells document refusals and oversized requests apart from throttling', () => {
    expect(isDocumentRefusal(grpc(3, 'x'))).toBe(true);
    expect(isDocumentRefusal(grpc(6, 'x'))).toBe(true);
    expect(isDocumentRefusal(grpc(8, 'x'))).toBe(false);
    const big = grpc(8, 'gRPC message exceeds maximum size 4194304: 12001207');
    expect(isTooLarge(big)).toBe(true);
    expect(toFerryError(big, ctx)).toMatchObject({ code: 'TRANSIENT', details: { tooLarge: true } });
    expect(isTooLarge(grpc(8, 'Quota exceeded.'))).toBe(false);
  });
});
