/**
 * The Azure Blob service and container clients of a plan's connection block.
 *
 * Credentials, in the order the options allow them (the schema keeps them exclusive):
 * - `connection_string` (also `UseDevelopmentStorage=true`): account, endpoint and key or SAS from the string;
 * - `account` and/or `endpoint` with `account_key`: a shared key (StorageSharedKeyCredential); the account name comes
 *   from `account`, else from the endpoint (`https://<account>.blob.core.windows.net`, or the first path segment of
 *   an emulator URL such as `http://127.0.0.1:10000/devstoreaccount1`);
 * - `account` / `endpoint` with `sas_token`: the SAS appended to the service URL;
 * - `account` / `endpoint` alone: DefaultAzureCredential (environment, workload identity, managed identity, Azure
 *   CLI, ...), loaded only then.
 * A plan keeps secrets out of its file with `${env:AZURE_STORAGE_CONNECTION_STRING}` and the like.
 *
 * Retries: ferry's engine owns retry and backoff, so the SDK tries each request at most twice (one quick retry of a
 * network error or 5xx). Nothing but the endpoint and the kind of credential is logged.
 */
import { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { ConnectorContext } from '../../core/connector.js';
import { FerryError } from '../../errors.js';
import type { AzureBlobOptions } from './options.js';

export const SDK_MAX_TRIES = 2;

export interface AzureBlobClients {
  service: BlobServiceClient;
  container: ContainerClient;
  account: string;
  /** host:port of the blob endpoint, for UNREACHABLE messages. */
  hostPort: string;
  /** Which credential is in use, for messages and hints (never the secret). */
  credential: 'connection string' | 'account key' | 'SAS token' | 'default Azure credential';
}

export const pipelineOptions: StoragePipelineOptions = {
  retryOptions: { maxTries: SDK_MAX_TRIES, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
  userAgentOptions: { userAgentPrefix: 'ferry' },
};

/** host:port of a URL, with the scheme's default port spelt out. */
export function hostPortOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** The account name an endpoint URL implies: `<account>.blob...` or the emulator's first path segment. */
export function accountOfEndpoint(endpoint: string): string | undefined {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return undefined;
  }
  const segment = u.pathname.split('/').filter(Boolean)[0];
  const isIp = /^[\d.]+$/.test(u.hostname) || u.hostname.includes(':') || u.hostname === 'localhost';
  if (isIp) return segment;
  const label = u.hostname.split('.')[0];
  return u.hostname.includes('.blob.') ? label : (segment ?? label);
}

function withSas(url: string, sas: string): string {
  const token = sas.replace(/^\?/, '');
  return url.includes('?') ? `${url}&${token}` : `${url}?${token}`;
}

export async function createClients(o: AzureBlobOptions, ctx?: Pick<ConnectorContext, 'logger'>): Promise<AzureBlobClients> {
  let service: BlobServiceClient;
  let credential: AzureBlobClients['credential'];
  if (o.connectionString) {
    try {
      service = BlobServiceClient.fromConnectionString(o.connectionString, pipelineOptions);
    } catch (e) {
      // The SDK's message names the missing part, never the key.
      throw new FerryError('CONFIG', `Azure Blob: the connection string is not usable: ${(e as Error).message}`, {
        hint: 'a connection string looks like DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net (or BlobEndpoint=... for an emulator)',
      });
    }
    credential = 'connection string';
  } else {
    const endpoint = (o.endpoint ?? `https://${o.account}.blob.core.windows.net`).replace(/\/+$/, '');
    try {
      new URL(endpoint);
    } catch {
      throw new FerryError('CONFIG', `Azure Blob: \`endpoint\` is not a URL: ${endpoint}`, {
        hint: 'e.g. https://myaccount.blob.core.windows.net, or http://127.0.0.1:10000/devstoreaccount1 for Azurite',
      });
    }
    if (o.accountKey) {
      const account = o.account ?? accountOfEndpoint(endpoint);
      if (!account) {
        throw new FerryError('CONFIG', 'Azure Blob: an `account_key` needs the account name', { hint: 'set `account:` besides `endpoint:`' });
      }
      service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, o.accountKey), pipelineOptions);
      credential = 'account key';
    } else if (o.sasToken) {
      service = new BlobServiceClient(withSas(endpoint, o.sasToken), new AnonymousCredential(), pipelineOptions);
      credential = 'SAS token';
    } else {
      const { DefaultAzureCredential } = await import('@azure/identity');
      service = new BlobServiceClient(endpoint, new DefaultAzureCredential(), pipelineOptions);
      credential = 'default Azure credential';
    }
  }
  const account = service.accountName || o.account || accountOfEndpoint(service.url) || 'unknown';
  const hostPort = hostPortOf(service.url);
  ctx?.logger.debug('azure-blob client', { endpoint: `${new URL(service.url).origin}${new URL(service.url).pathname}`, credential });
  return { service, container: service.getContainerClient(o.container), account, hostPort, credential };
}
