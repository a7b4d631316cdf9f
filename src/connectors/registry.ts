/**
 * Every store ferry knows. The plan schema and the engine reach connectors only through here, so adding a store is
 * one folder plus one line below.
 */
import type { ConnectorDescriptor } from '../core/connector.js';
import { FerryError } from '../errors.js';
import { suggestion } from '../plan/did-you-mean.js';
import { azureBlob } from './azure-blob/index.js';
import { cosmos } from './cosmos/index.js';
import { dynamodb } from './dynamodb/index.js';
import { firestore } from './firestore/index.js';
import { gcs } from './gcs/index.js';
import { postgres } from './postgres/index.js';
import { s3 } from './s3/index.js';

/** In the order they are listed to users: document stores, then object stores. */
export const connectors: readonly ConnectorDescriptor[] = [postgres, dynamodb, firestore, cosmos, s3, gcs, azureBlob];

export const connectorsByType: ReadonlyMap<string, ConnectorDescriptor> = new Map(connectors.map((c) => [c.type, c]));

export const connectorTypes: readonly string[] = connectors.map((c) => c.type);

export function findConnector(type: string): ConnectorDescriptor | undefined {
  return connectorsByType.get(type);
}

/** The descriptor of `type`; a FerryError (CONFIG) naming the known types and the likely intended one otherwise. */
export function getConnector(type: string): ConnectorDescriptor {
  const found = connectorsByType.get(type);
  if (found) return found;
  throw new FerryError('CONFIG', unknownConnectorMessage(type), { details: { type, known: connectorTypes } });
}

export function unknownConnectorMessage(type: string): string {
  const hint = suggestion(type, connectorTypes);
  return `unknown connector type "${type}"${hint ? `${hint} ` : '; '}known types: ${connectorTypes.join(', ')}`;
}
