// Server-side encryption passes through each object store's connection block as a reference to a key the store
// holds (never key material): S3 SSE-S3 / SSE-KMS, GCS CMEK, Azure encryption scopes.
import { describe, expect, it } from 'vitest';
import { parseAzureBlobOptions as parseAzure } from '../../../src/connectors/azure-blob/options.js';
import { parseOptions as parseGcs } from '../../../src/connectors/gcs/options.js';
import { parseS3Options } from '../../../src/connectors/s3/options.js';
import { loadPlanText } from '../../../src/plan/index.js';

describe('encryption options of object stores', () => {
  it('S3: sse and its KMS key; an SSE-KMS store never takes an ETag for an MD5', () => {
    expect(parseS3Options({ bucket: 'b', sse: 'aws:kms', sse_kms_key_id: 'alias/k' })).toMatchObject({ sse: 'aws:kms', sseKmsKeyId: 'alias/k', etagMd5: false });
    expect(parseS3Options({ bucket: 'b', sse: 'AES256' })).toMatchObject({ sse: 'AES256', etagMd5: true });
    expect(parseS3Options({ bucket: 'b' }).sse).toBeUndefined();
  });

  it('GCS: a CMEK key name; Azure: an encryption scope', () => {
    expect(parseGcs({ bucket: 'b', kms_key_name: 'projects/p/locations/l/keyRings/r/cryptoKeys/k' }).kmsKeyName).toBe('projects/p/locations/l/keyRings/r/cryptoKeys/k');
    expect(parseAzure({ container: 'c', connection_string: 'UseDevelopmentStorage=true', encryption_scope: 'backups' })).toMatchObject({ encryptionScope: 'backups' });
  });

  it('a plan checks them: an unknown SSE algorithm is refused with the choices', () => {
    const text = (sse: string): string =>
      `version: 1\nkind: backup\nname: t\nsource: { type: postgres, url: "postgres://u@h/d" }\ntarget: { type: s3, bucket: bk-1, sse: ${sse}, storage_class: STANDARD_IA }\nstreams: [{ from: public.* }]\n`;
    expect(loadPlanText(text('aws:kms'), 'p.yaml', {}).plan.target['sse']).toBe('aws:kms');
    expect(() => loadPlanText(text('kms'), 'p.yaml', {})).toThrow(/target\.sse: must be one of AES256, aws:kms, got "kms"/);
  });
});
