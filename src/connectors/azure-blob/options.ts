/**
 * Plan options of Azure Blob Storage. Authenticate with a `connection_string`, or an `account` (or `endpoint`) plus
 * `account_key`, a `sas_token`, or neither (the default Azure credential, Entra ID).
 */
import type { JsonSchema } from '../../core/connector.js';
import { exclusive, needsOneOf, objectSourceStream, objectTargetStream, oneOfStrings, secret, str } from '../../plan/schema-fragments.js';

export const azureBlobOptions: JsonSchema = {
  type: 'object',
  properties: {
    container: str('Container name.', { pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$', 'x-expect': 'a container name (3–63 lower-case letters, digits or single dashes)' }),
    connection_string: secret('Storage connection string (DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...).'),
    account: str('Storage account name; the endpoint is then https://<account>.blob.core.windows.net.'),
    account_key: secret('Shared key of `account`.'),
    sas_token: secret('Shared access signature (the query string, with or without the leading `?`).'),
    endpoint: str('Blob service URL, e.g. http://127.0.0.1:10000/devstoreaccount1 for Azurite. Default: from `account`.'),
    access_tier: oneOfStrings(['Hot', 'Cool', 'Cold', 'Archive'], 'As a target: access tier of written blobs. Default: the account\'s.'),
  },
  required: ['container'],
  allOf: [
    needsOneOf([['connection_string'], ['account'], ['endpoint']], 'needs `connection_string`, or `account` / `endpoint` (with `account_key`, `sas_token` or the default Azure credential)'),
    exclusive('connection_string', ['account', 'account_key', 'sas_token', 'endpoint'], 'a `connection_string` already names the account, endpoint and key: leave the others out'),
    exclusive('account_key', ['sas_token'], 'use either `account_key` or `sas_token`, not both'),
  ],
};

export const azureBlobSourceStream = objectSourceStream();
export const azureBlobTargetStream = objectTargetStream();
