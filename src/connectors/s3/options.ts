/**
 * Plan options of Amazon S3 and S3-compatible stores (MinIO, R2...). Credentials come from the AWS SDK default chain
 * unless given here.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, exclusive, objectSourceStream, objectTargetStream, oneOfStrings, secret, str } from '../../plan/schema-fragments.js';

export const s3Options: JsonSchema = {
  type: 'object',
  properties: {
    bucket: str('Bucket name.', { pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', 'x-expect': 'a bucket name (3–63 lower-case letters, digits, dots or dashes)' }),
    region: str('AWS region, e.g. eu-west-1. Default: the SDK chain ($AWS_REGION, profile).'),
    endpoint: str('Endpoint URL of an S3-compatible server, e.g. http://127.0.0.1:9000. Default: AWS.'),
    force_path_style: bool('Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint> (MinIO and most emulators need it).', false),
    profile: str('Named profile from ~/.aws/config. Default: $AWS_PROFILE or the default chain.'),
    access_key_id: str('Access key id; prefer the default credential chain.'),
    secret_access_key: secret('Secret access key, with `access_key_id`.'),
    session_token: secret('Session token, for temporary credentials.'),
    storage_class: oneOfStrings(
      ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'],
      'As a target: storage class of written objects. Default: the bucket\'s (STANDARD).',
    ),
  },
  required: ['bucket'],
  allOf: [exclusive('profile', ['access_key_id', 'secret_access_key', 'session_token'], 'use either `profile` or access keys, not both')],
};

export const s3SourceStream = objectSourceStream();
export const s3TargetStream = objectTargetStream();
