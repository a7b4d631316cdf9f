import { Storage } from '@google-cloud/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, normaliseEndpoint, resolveEndpoint, sdkRetryable } from '../../../src/connectors/gcs/client.js';
import { parseOptions } from '../../../src/connectors/gcs/options.js';

interface StorageInternals {
  baseUrl: string;
  apiEndpoint: string;
  customEndpoint: boolean;
  useAuthWithCustomEndpoint?: boolean;
  projectId: string;
  authClient: { keyFilename?: string; jsonContent?: unknown };
}

const internals = (c: ReturnType<typeof createClient>): StorageInternals => c.storage as unknown as StorageInternals;

describe('GCS endpoint', () => {
  it('normalises host:port, trailing slashes and /storage/v1', () => {
    expect(normaliseEndpoint('127.0.0.1:4443')).toBe('http://127.0.0.1:4443');
    expect(normaliseEndpoint('localhost:4443/')).toBe('http://localhost:4443');
    expect(normaliseEndpoint('http://127.0.0.1:4443/storage/v1/')).toBe('http://127.0.0.1:4443');
    expect(normaliseEndpoint('https://gcs.example.test')).toBe('https://gcs.example.test');
    expect(normaliseEndpoint('storage.googleapis.com')).toBe('https://storage.googleapis.com');
    expect(normaliseEndpoint(' private.googleapis.com:443 ')).toBe('https://private.googleapis.com:443');
  });

  it('takes the plan, else STORAGE_EMULATOR_HOST, else GCS_ENDPOINT, else Google', () => {
    const env = { STORAGE_EMULATOR_HOST: '127.0.0.1:2', GCS_ENDPOINT: 'http://127.0.0.1:3' };
    expect(resolveEndpoint('127.0.0.1:1', env)).toEqual({ url: 'http://127.0.0.1:1', host: '127.0.0.1:1', emulator: true, source: 'plan' });
    expect(resolveEndpoint(undefined, env)).toEqual({ url: 'http://127.0.0.1:2', host: '127.0.0.1:2', emulator: true, source: 'STORAGE_EMULATOR_HOST' });
    expect(resolveEndpoint(undefined, { GCS_ENDPOINT: env.GCS_ENDPOINT, STORAGE_EMULATOR_HOST: '' })).toMatchObject({ url: 'http://127.0.0.1:3', source: 'GCS_ENDPOINT' });
    expect(resolveEndpoint(undefined, {})).toEqual({ url: 'https://storage.googleapis.com', host: 'storage.googleapis.com:443', emulator: false, source: 'google' });
    expect(resolveEndpoint('https://storage.googleapis.com', env)).toMatchObject({ emulator: false, source: 'plan', host: 'storage.googleapis.com:443' });
    expect(resolveEndpoint('http://fake-gcs', {})).toMatchObject({ host: 'fake-gcs:80', emulator: true });
  });
});

describe('GCS client', () => {
  const saved = process.env['STORAGE_EMULATOR_HOST'];
  beforeEach(() => {
    delete process.env['STORAGE_EMULATOR_HOST'];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env['STORAGE_EMULATOR_HOST'];
    else process.env['STORAGE_EMULATOR_HOST'] = saved;
  });

  it.each(['127.0.0.1:4443', 'http://127.0.0.1:4443', 'http://127.0.0.1:4443/storage/v1'])(
    'uses STORAGE_EMULATOR_HOST=%s with the JSON API path, without credentials, whatever the SDK made of it',
    (value) => {
      // The SDK reads the variable itself, from process.env.
      process.env['STORAGE_EMULATOR_HOST'] = value;
      const c = createClient(parseOptions({ bucket: 'b', key_file: '/secrets/sa.json' }), undefined, { STORAGE_EMULATOR_HOST: value });
      const s = internals(c);
      expect(s.baseUrl).toBe('http://127.0.0.1:4443/storage/v1');
      expect(s.apiEndpoint).toBe('http://127.0.0.1:4443');
      expect(s.customEndpoint).toBe(true);
      expect(s.useAuthWithCustomEndpoint).toBe(false);
      expect(s.projectId).toBe('ferry');
      expect(s.authClient.keyFilename).toBeUndefined();
      expect(c.endpoint).toMatchObject({ emulator: true, source: 'STORAGE_EMULATOR_HOST', host: '127.0.0.1:4443' });
    },
  );

  // Pins the SDK defect that newStorage() works around; when this fails, the SDK builds its base URL from the
  // variable as documented, and newStorage() (and GCS_ENDPOINT in scripts/services.mjs) can go.
  it('the SDK itself (@google-cloud/storage 8) still takes STORAGE_EMULATOR_HOST verbatim as its base URL', () => {
    process.env['STORAGE_EMULATOR_HOST'] = 'http://127.0.0.1:4443';
    const s = new Storage({ projectId: 'ferry' }) as unknown as StorageInternals;
    expect(s.baseUrl).toBe('http://127.0.0.1:4443');
    expect(s.apiEndpoint).toBe('http://127.0.0.1:4443');
  });

  it('prefers the plan endpoint over STORAGE_EMULATOR_HOST, and says so', () => {
    process.env['STORAGE_EMULATOR_HOST'] = '127.0.0.1:1';
    const warnings: unknown[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (msg: string, data?: unknown) => void warnings.push({ msg, data }) };
    const c = createClient(parseOptions({ bucket: 'b', endpoint: 'localhost:9', project: 'p' }), { logger }, { STORAGE_EMULATOR_HOST: '127.0.0.1:1' });
    expect(internals(c).baseUrl).toBe('http://localhost:9/storage/v1');
    expect(internals(c).projectId).toBe('p');
    expect(warnings).toEqual([{ msg: "the plan's `endpoint` overrides STORAGE_EMULATOR_HOST", data: { endpoint: 'http://localhost:9', STORAGE_EMULATOR_HOST: '127.0.0.1:1' } }]);
  });

  it('takes the emulator project from GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT', () => {
    expect(internals(createClient(parseOptions({ bucket: 'b' }), undefined, { GCS_ENDPOINT: 'http://h:1', GCLOUD_PROJECT: 'g' })).projectId).toBe('g');
    expect(internals(createClient(parseOptions({ bucket: 'b' }), undefined, { GCS_ENDPOINT: 'http://h:1', GOOGLE_CLOUD_PROJECT: 'gc', GCLOUD_PROJECT: 'g' })).projectId).toBe('gc');
  });

  it('on Google: a key file by reference, else Application Default Credentials; never an unauthenticated client', () => {
    const logs: unknown[] = [];
    const logger = { debug: (msg: string, data?: unknown) => void logs.push({ msg, data }), info: () => {}, warn: () => {} };
    const c = createClient(parseOptions({ bucket: 'b', project: 'acme', key_file: '/secrets/sa.json' }), { logger }, {});
    const s = internals(c);
    expect(s.baseUrl).toBe('https://storage.googleapis.com/storage/v1');
    expect(s.customEndpoint).toBe(false);
    expect(s.authClient.keyFilename).toBe('/secrets/sa.json');
    expect(s.projectId).toBe('acme');
    expect(JSON.stringify(logs)).not.toContain('/secrets/sa.json');
    expect(JSON.stringify(logs)).toContain('key file');
    const adc = internals(createClient(parseOptions({ bucket: 'b' }), undefined, {}));
    expect(adc.authClient.keyFilename).toBeUndefined();
    // A Google endpoint given explicitly (while STORAGE_EMULATOR_HOST points elsewhere) still authenticates.
    process.env['STORAGE_EMULATOR_HOST'] = '127.0.0.1:1';
    const priv = internals(createClient(parseOptions({ bucket: 'b', endpoint: 'https://storage.googleapis.com' }), undefined, { STORAGE_EMULATOR_HOST: '127.0.0.1:1' }));
    expect(priv.baseUrl).toBe('https://storage.googleapis.com/storage/v1');
    expect(priv.useAuthWithCustomEndpoint).toBe(true);
  });

  it('lets the SDK retry connection resets and 408/500/502/504, never throttling', () => {
    for (const code of [408, 500, 502, 504, '500']) expect(sdkRetryable({ code })).toBe(true);
    for (const code of [429, 503, 400, 401, 403, 404, '429']) expect(sdkRetryable({ code })).toBe(false);
    expect(sdkRetryable({ code: 'ECONNRESET' })).toBe(true);
    expect(sdkRetryable({ code: 'x', errors: [{ reason: 'ECONNRESET' }] })).toBe(true);
    expect(sdkRetryable({ code: 'ECONNREFUSED' })).toBe(false);
    expect(sdkRetryable(undefined)).toBe(false);
  });
});
