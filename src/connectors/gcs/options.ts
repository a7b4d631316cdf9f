/**
 * Plan options of Google Cloud Storage. Credentials come from Application Default Credentials unless a
 * service-account `key_file` is given; `endpoint` targets fake-gcs-server or another emulator.
 */
import type { JsonSchema } from '../../core/connector.js';
import { filePath, objectSourceStream, objectTargetStream, oneOfStrings, str } from '../../plan/schema-fragments.js';

export const gcsOptions: JsonSchema = {
  type: 'object',
  properties: {
    bucket: str('Bucket name.'),
    project: str('Google Cloud project id. Default: from the credentials or $GOOGLE_CLOUD_PROJECT.'),
    key_file: filePath('Service-account key (JSON). Default: Application Default Credentials.'),
    endpoint: str('API endpoint of an emulator, e.g. http://127.0.0.1:4443. Default: $STORAGE_EMULATOR_HOST, else Google.'),
    storage_class: oneOfStrings(
      ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'],
      'As a target: storage class of written objects. Default: the bucket\'s.',
    ),
  },
  required: ['bucket'],
};

export const gcsSourceStream = objectSourceStream();
export const gcsTargetStream = objectTargetStream();
