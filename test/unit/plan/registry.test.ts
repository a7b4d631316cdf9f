import { describe, expect, it } from 'vitest';
import { connectors, connectorTypes, findConnector, getConnector } from '../../../src/connectors/registry.js';
import { FerryError } from '../../../src/errors.js';

describe('connector registry', () => {
  it('knows the seven stores', () => {
    expect(connectorTypes).toEqual(['postgres', 'dynamodb', 'firestore', 'cosmos', 's3', 'gcs', 'azure-blob']);
    expect(connectors.filter((c) => c.kind === 'object').map((c) => c.type)).toEqual(['s3', 'gcs', 'azure-blob']);
    expect(getConnector('dynamodb').rateUnits).toEqual(['wcu']);
    expect(findConnector('nope')).toBeUndefined();
  });

  it('names the known types when asked for an unknown one', () => {
    let err: unknown;
    try {
      getConnector('dynamo');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('CONFIG');
    expect((err as FerryError).message).toBe(
      'unknown connector type "dynamo"; did you mean "dynamodb"? known types: postgres, dynamodb, firestore, cosmos, s3, gcs, azure-blob',
    );
    expect(() => getConnector('mongodb')).toThrow('unknown connector type "mongodb"; known types: postgres,');
  });
});
