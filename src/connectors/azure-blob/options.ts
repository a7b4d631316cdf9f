/**
 * Plan options of Azure Blob Storage. Authenticate with a `connection_string`, or an `account` (or `endpoint`) plus
 * `account_key`, a `sas_token`, or neither (the default Azure credential, Entra ID).
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, exclusive, int, needsOneOf, objectSourceStream, objectTargetStream, objectTransferOptions, oneOfStrings, secret, str } from '../../plan/schema-fragments.js';

export const ACCESS_TIERS = ['Hot', 'Cool', 'Cold', 'Archive'] as const;
export type AccessTier = (typeof ACCESS_TIERS)[number];

export const DEFAULT_PART_SIZE_MB = 8;
/** Azure's largest staged block is 4,000 MiB (service version 2019-12-12 and later). */
export const MAX_PART_SIZE_MB = 4000;
export const DEFAULT_PART_CONCURRENCY = 4;

export const azureBlobOptions: JsonSchema = {
  type: 'object',
  properties: {
    container: str('Container name.', { pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$', 'x-expect': 'a container name (3–63 lower-case letters, digits or single dashes)' }),
    connection_string: secret('Storage connection string (DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...).'),
    account: str('Storage account name; the endpoint is then https://<account>.blob.core.windows.net.'),
    account_key: secret('Shared key of `account`.'),
    sas_token: secret('Shared access signature (the query string, with or without the leading `?`).'),
    endpoint: str('Blob service URL, e.g. http://127.0.0.1:10000/devstoreaccount1 for Azurite. Default: from `account`.'),
    access_tier: oneOfStrings([...ACCESS_TIERS], 'As a target: access tier of written blobs. Default: the account\'s.'),
    encryption_scope: str('As a target: the encryption scope written blobs are encrypted with (its keys stay in Key Vault; this is its name). Default: the container\'s.'),
    create: bool('As a target: create the container if it does not exist. Default false.', false),
    part_size_mb: int(
      'As a target: blobs larger than this many MiB are uploaded as staged blocks of this size (Azure\'s largest block is ' +
        `${MAX_PART_SIZE_MB} MiB), each checked by the server against its MD5, then committed; blobs too large for 50,000 such ` +
        'blocks get larger blocks (size / 50,000, rounded up to a MiB). Smaller blobs go up in one request. Default 8.',
      1,
      MAX_PART_SIZE_MB,
      DEFAULT_PART_SIZE_MB,
    ),
    part_concurrency: int(
      'As a target: blocks of one blob uploaded at once. Memory per blob being written is at most (part_concurrency + 1) × the part size. Default 4.',
      1,
      64,
      DEFAULT_PART_CONCURRENCY,
    ),
    ...objectTransferOptions(),
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

/** The options a store was opened with (the connection block without `type`), as typed values with defaults. */
export interface AzureBlobOptions {
  container: string;
  connectionString?: string;
  account?: string;
  accountKey?: string;
  sasToken?: string;
  endpoint?: string;
  accessTier?: AccessTier;
  encryptionScope?: string;
  create: boolean;
  partSizeMb: number;
  partConcurrency: number;
}

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const intOf = (v: unknown, min: number, max: number, dflt: number): number =>
  typeof v === 'number' && Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : dflt;

export function parseAzureBlobOptions(o: Record<string, unknown>): AzureBlobOptions {
  const connectionString = strOf(o['connection_string']);
  const account = strOf(o['account']);
  const accountKey = strOf(o['account_key']);
  const sasToken = strOf(o['sas_token']);
  const endpoint = strOf(o['endpoint']);
  const tier = o['access_tier'];
  const accessTier = (ACCESS_TIERS as readonly unknown[]).includes(tier) ? (tier as AccessTier) : undefined;
  return {
    container: strOf(o['container']) ?? '',
    ...(connectionString ? { connectionString } : {}),
    ...(account ? { account } : {}),
    ...(accountKey ? { accountKey } : {}),
    ...(sasToken ? { sasToken } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(accessTier ? { accessTier } : {}),
    ...(typeof o['encryption_scope'] === 'string' && o['encryption_scope'] !== '' ? { encryptionScope: o['encryption_scope'] } : {}),
    create: o['create'] === true,
    partSizeMb: intOf(o['part_size_mb'], 1, MAX_PART_SIZE_MB, DEFAULT_PART_SIZE_MB),
    partConcurrency: intOf(o['part_concurrency'], 1, 64, DEFAULT_PART_CONCURRENCY),
  };
}
