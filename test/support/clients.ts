/**
 * Official SDK clients pointed at the local test servers of `scripts/services`, configured from the variables that
 * `scripts/services env` prints (test/global-setup.ts puts them in process.env). Each quirk of a local server that a
 * client must know about is set here, once, with the reason.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import pg from 'pg';

/** The value of an endpoint variable, or a message that says how to get it. */
export function serviceEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the integration tests through vitest (its global setup starts the `
      + 'servers), or `scripts/services start && eval "$(scripts/services env)"`');
  }
  return value;
}

/**
 * A name no other test run uses, valid everywhere: S3 and GCS buckets, Azure containers (3–63 of a–z, 0–9, '-'),
 * DynamoDB tables, Firestore collections, Cosmos ids, PostgreSQL identifiers (with '_' for '-').
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`.toLowerCase();
}

const awsCredentials = () => ({
  accessKeyId: serviceEnv('AWS_ACCESS_KEY_ID'),
  secretAccessKey: serviceEnv('AWS_SECRET_ACCESS_KEY'),
});

export function pgClient(): pg.Client {
  return new pg.Client({ connectionString: serviceEnv('PGURL') });
}

export function dynamoDb(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: serviceEnv('DYNAMODB_ENDPOINT'),
    region: serviceEnv('AWS_REGION'),
    credentials: awsCredentials(),
  });
}

export function s3(): S3Client {
  return new S3Client({
    endpoint: serviceEnv('S3_ENDPOINT'),
    region: serviceEnv('AWS_REGION'),
    credentials: awsCredentials(),
    forcePathStyle: true,
    // The SDK's default (WHEN_SUPPORTED) sends stream bodies as aws-chunked with a trailing CRC32, which gofakes3
    // refuses (411 MissingContentLength). Content-MD5 is still sent where S3 requires it, and checked by gofakes3.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * Firestore finds FIRESTORE_EMULATOR_HOST itself and then talks plain gRPC with no credentials. The explicit
 * universe domain spares google-gax a credentials lookup that would probe for a GCE metadata server.
 */
export function firestore(): Firestore {
  serviceEnv('FIRESTORE_EMULATOR_HOST');
  return new Firestore({ projectId: serviceEnv('FIRESTORE_PROJECT_ID'), universeDomain: 'googleapis.com' });
}

/** fake-gcs-server. With a custom apiEndpoint the SDK sends no credentials. */
export function gcs(): Storage {
  return new Storage({ apiEndpoint: serviceEnv('GCS_ENDPOINT'), projectId: serviceEnv('GCLOUD_PROJECT') });
}

export function azureBlob(): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(serviceEnv('AZURE_STORAGE_CONNECTION_STRING'));
}

export function cosmos(): CosmosClient {
  return new CosmosClient({
    endpoint: serviceEnv('COSMOS_ENDPOINT'),
    key: serviceEnv('COSMOS_KEY'),
    // The server names https:// locations in its account document; discovery would follow them and fail.
    connectionPolicy: { enableEndpointDiscovery: false },
  });
}
