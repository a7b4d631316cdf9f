/**
 * The Firestore client the sink and the source share the configuration of.
 *
 * - Emulator: $FIRESTORE_EMULATOR_HOST, else the plan's `emulator_host` (the SDK itself gives the variable
 *   precedence; ferry warns when both are set and differ). No credentials are used: the SDK talks plain gRPC and
 *   sends the emulator's `Bearer owner`. The project id must be known up front (`project`, else
 *   $FIRESTORE_PROJECT_ID, $GOOGLE_CLOUD_PROJECT, $GCLOUD_PROJECT), and the universe domain is set explicitly, so
 *   the client never asks a GCE metadata server for either.
 * - Otherwise: a service-account `key_file` if the plan names one, else Application Default Credentials; the project
 *   from `project`, else from the credentials.
 * - `useBigInt`: integers are read as bigint, so no int64 passes through a double (marshal.ts narrows safe ones).
 * - Retries: ferry's engine owns retry and backoff; the sink commits, and the source partitions, through a GAPIC
 *   client of the same endpoint and credentials with ferry's call options (gapic.ts).
 */
import firestore, { Firestore, type Settings } from '@google-cloud/firestore';
import { grpc } from 'google-gax';
import type { ConnectorContext } from '../../core/connector.js';
import { FerryError } from '../../errors.js';
import { Gapic } from './gapic.js';
import type { FirestoreOptions } from './options.js';

export interface FirestoreClient {
  db: Firestore;
  /** host:port of the emulator, or `firestore.googleapis.com`: for messages. */
  host: string;
  emulator: boolean;
  /** The sink's commits and the source's partition queries (gapic.ts), over a GAPIC client of the same endpoint and
   * credentials; opened on first use. */
  gapic?: () => Gapic;
}

// A getter on the CommonJS exports that Node's ESM named-export detection does not see.
const { v1 } = firestore;

/** The GAPIC client opened once, on first use (a source that never partitions never opens one). */
function lazy(open: () => Gapic): () => Gapic {
  let c: Gapic | undefined;
  return () => (c ??= open());
}

export const PROJECT_VARIABLES = ['FIRESTORE_PROJECT_ID', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT'] as const;

export function createClient(o: FirestoreOptions, ctx?: Pick<ConnectorContext, 'logger'>, env: NodeJS.ProcessEnv = process.env): FirestoreClient {
  const envHost = env['FIRESTORE_EMULATOR_HOST'] || undefined;
  const host = envHost ?? o.emulatorHost;
  const settings: Settings = { useBigInt: true };
  if (o.database) settings.databaseId = o.database;

  if (host) {
    if (envHost && o.emulatorHost && envHost !== o.emulatorHost) {
      ctx?.logger.warn('FIRESTORE_EMULATOR_HOST overrides the plan\'s emulator_host', { env: envHost, plan: o.emulatorHost });
    }
    const project = o.project ?? PROJECT_VARIABLES.map((v) => env[v]).find((v) => v !== undefined && v !== '');
    if (!project) {
      throw new FerryError('CONFIG', `the Firestore emulator at ${host} needs a project id`, {
        hint: `set \`project:\` in the plan, or one of ${PROJECT_VARIABLES.join(', ')}`,
      });
    }
    settings.projectId = project;
    settings.host = host;
    settings.ssl = false;
    // Without it google-gax asks the credentials for their universe, which probes for a metadata server.
    (settings as Settings & { universeDomain?: string }).universeDomain = 'googleapis.com';
    ctx?.logger.debug('firestore client', { emulator: host, project, database: o.database ?? '(default)' });
    const url = new URL(`http://${host}`);
    const database = `projects/${project}/databases/${o.database ?? '(default)'}`;
    const gapic = lazy(
      () =>
        new Gapic(
          new v1.FirestoreClient({ servicePath: url.hostname, port: Number(url.port || 80), sslCreds: grpc.credentials.createInsecure(), projectId: project, universeDomain: 'googleapis.com' } as never),
          async () => database,
          // What the SDK sends an emulator in place of credentials.
          { Authorization: 'Bearer owner' },
        ),
    );
    return { db: new Firestore(settings), host, emulator: true, gapic };
  }

  if (o.project) settings.projectId = o.project;
  if (o.keyFile) settings.keyFilename = o.keyFile;
  ctx?.logger.debug('firestore client', {
    project: o.project ?? '(from the credentials)',
    database: o.database ?? '(default)',
    credentials: o.keyFile ? 'key file' : 'application default credentials',
  });
  const gapic = lazy(() => {
    const client = new v1.FirestoreClient({ ...(o.project ? { projectId: o.project } : {}), ...(o.keyFile ? { keyFilename: o.keyFile } : {}) });
    let database: Promise<string> | undefined;
    return new Gapic(client, () => (database ??= client.getProjectId().then((p) => `projects/${p}/databases/${o.database ?? '(default)'}`)), {});
  });
  return { db: new Firestore(settings), host: 'firestore.googleapis.com', emulator: false, gapic };
}
