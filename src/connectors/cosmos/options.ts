/**
 * Plan options of Azure Cosmos DB (NoSQL API). Either `endpoint` (with `key`, or Entra ID through the default Azure
 * credential when `key` is absent) or a `connection_string`.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, exclusive, int, needsOneOf, secret, str } from '../../plan/schema-fragments.js';

export const cosmosOptions: JsonSchema = {
  type: 'object',
  properties: {
    endpoint: str('Account endpoint, e.g. https://myaccount.documents.azure.com:443/.'),
    key: secret('Account key. Without it ferry signs in with the default Azure credential (Entra ID).'),
    connection_string: secret('AccountEndpoint=...;AccountKey=...; instead of `endpoint` and `key`.'),
    database: str('Database id.'),
    create: bool('As a target: create the database and missing containers.', false),
    throughput: int('RU/s of containers ferry creates (manual throughput). Default: the account\'s default.', 400),
  },
  required: ['database'],
  allOf: [
    needsOneOf([['endpoint'], ['connection_string']], 'needs `endpoint` (and `key`) or `connection_string`'),
    exclusive('connection_string', ['endpoint', 'key'], 'use either `connection_string` or `endpoint` and `key`, not both'),
  ],
};

export const cosmosSourceStream: Record<string, JsonSchema> = {
  query: str('SQL query selecting the items to read, e.g. `SELECT * FROM c WHERE c.type = "invoice"`. Default: all items.'),
};

export const cosmosTargetStream: Record<string, JsonSchema> = {
  partition_key: str('Partition key path of the target container, e.g. `/tenant_id` (used when ferry creates it).', {
    pattern: '^/',
    'x-expect': 'a path starting with `/`, e.g. /tenant_id',
  }),
};
