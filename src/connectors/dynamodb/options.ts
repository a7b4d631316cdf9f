/**
 * Plan options of DynamoDB. Credentials come from the AWS SDK default chain (env, profile, SSO, instance role)
 * unless given here; `endpoint` points at DynamoDB Local or another emulator.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, exclusive, int, object, oneOfStrings, secret, str } from '../../plan/schema-fragments.js';

export const dynamodbOptions: JsonSchema = {
  type: 'object',
  properties: {
    region: str('AWS region, e.g. us-east-1. Default: the SDK chain ($AWS_REGION, profile).'),
    endpoint: str('Endpoint URL, for DynamoDB Local or a VPC endpoint, e.g. http://127.0.0.1:8000. Default: AWS.'),
    profile: str('Named profile from ~/.aws/config. Default: $AWS_PROFILE or the default chain.'),
    access_key_id: str('Access key id; prefer the default credential chain.'),
    secret_access_key: secret('Secret access key, with `access_key_id`.'),
    session_token: secret('Session token, for temporary credentials.'),
    table_prefix: str('Prefix added to every target table name (`staging_` + `Invoices`), and expected on source table names.'),
    create: bool('As a target: create missing tables, keyed as each stream\'s `key` says.', false),
    billing: oneOfStrings(['on_demand', 'provisioned'], 'Billing mode of tables ferry creates.', 'on_demand'),
    capacity: object(
      'Provisioned capacity of tables ferry creates (with `billing: provisioned`).',
      {
        read: int('Read capacity units.'),
        write: int('Write capacity units; keep it above `limits.wcu`.'),
      },
      ['read', 'write'],
    ),
  },
  allOf: [
    exclusive('profile', ['access_key_id', 'secret_access_key', 'session_token'], 'use either `profile` or access keys, not both'),
    {
      not: { required: ['billing'], properties: { billing: { const: 'provisioned' } }, not: { required: ['capacity'] } },
      'x-error': '`billing: provisioned` needs `capacity: { read, write }`',
    },
  ],
};

export const dynamodbSourceStream: Record<string, JsonSchema> = {
  consistent_read: bool('Use strongly consistent reads (twice the read capacity).', false),
};

export const dynamodbTargetStream: Record<string, JsonSchema> = {
  key: object(
    'Key attributes of the target table. Default: the source record\'s key (partition = first key part, sort = second).',
    {
      partition: str('Partition (hash) key attribute.'),
      sort: str('Sort (range) key attribute, if the table has one.'),
    },
    ['partition'],
  ),
};
