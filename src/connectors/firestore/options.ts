/**
 * Plan options of Cloud Firestore (native mode). Credentials come from Application Default Credentials unless a
 * service-account `key_file` is given; `emulator_host` (or $FIRESTORE_EMULATOR_HOST) targets the emulator.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, filePath, str } from '../../plan/schema-fragments.js';

export const firestoreOptions: JsonSchema = {
  type: 'object',
  properties: {
    project: str('Google Cloud project id. Default: from the credentials or $GOOGLE_CLOUD_PROJECT.'),
    database: str('Database id.', { default: '(default)' }),
    key_file: filePath('Service-account key (JSON). Default: Application Default Credentials.'),
    emulator_host: str('host:port of the Firestore emulator, e.g. 127.0.0.1:8080. Default: $FIRESTORE_EMULATOR_HOST.'),
  },
};

export const firestoreSourceStream: Record<string, JsonSchema> = {
  collection_group: bool('Read every collection with this id at any depth (a collection group), not one collection path.', false),
};

export const firestoreTargetStream: Record<string, JsonSchema> = {
  id: str(
    'Document id template over the mapped record, e.g. `${invoice_id}` or `${country}-${invoice_id}`. Default: the record key (parts joined by `#`).',
  ),
};
