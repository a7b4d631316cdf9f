import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type FirestoreClient } from '../../../src/connectors/firestore/client.js';
import { parseOptions } from '../../../src/connectors/firestore/options.js';

const opened: FirestoreClient[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.db.terminate();
});

function open(options: Record<string, unknown>, env: NodeJS.ProcessEnv, warnings: unknown[] = []): FirestoreClient {
  const logger = { debug: () => {}, info: () => {}, warn: (msg: string, data?: unknown) => void warnings.push({ msg, data }) };
  const c = createClient(parseOptions(options), { logger }, env);
  opened.push(c);
  return c;
}

function settingsOf(c: FirestoreClient): Record<string, unknown> {
  return (c.db as unknown as { _settings: Record<string, unknown> })._settings;
}

describe('Firestore client', () => {
  it('uses the emulator without credentials, with a known project and universe', () => {
    const saved = process.env['FIRESTORE_EMULATOR_HOST'];
    delete process.env['FIRESTORE_EMULATOR_HOST'];
    try {
      const c = open({ emulator_host: '127.0.0.1:8080', database: 'db2' }, { GCLOUD_PROJECT: 'from-env' });
      expect(c).toMatchObject({ host: '127.0.0.1:8080', emulator: true });
      expect(settingsOf(c)).toMatchObject({ projectId: 'from-env', databaseId: 'db2', ssl: false, universeDomain: 'googleapis.com', useBigInt: true, servicePath: '127.0.0.1', port: 8080 });
      expect(settingsOf(c)['keyFilename']).toBeUndefined();
      expect(() => open({ emulator_host: '127.0.0.1:8080' }, {})).toThrow(/needs a project id/);
    } finally {
      if (saved !== undefined) process.env['FIRESTORE_EMULATOR_HOST'] = saved;
    }
  });

  it('prefers $FIRESTORE_EMULATOR_HOST, and says so when the plan names another host', () => {
    const warnings: unknown[] = [];
    const c = open({ project: 'p', emulator_host: '127.0.0.1:1' }, { FIRESTORE_EMULATOR_HOST: '127.0.0.1:2' }, warnings);
    expect(c.host).toBe('127.0.0.1:2');
    expect(warnings).toEqual([{ msg: "FIRESTORE_EMULATOR_HOST overrides the plan's emulator_host", data: { env: '127.0.0.1:2', plan: '127.0.0.1:1' } }]);
  });

  it('takes a key file by reference, else Application Default Credentials', () => {
    const saved = process.env['FIRESTORE_EMULATOR_HOST'];
    delete process.env['FIRESTORE_EMULATOR_HOST'];
    try {
      const c = open({ project: 'acme', key_file: '/secrets/sa.json' }, {});
      expect(c).toMatchObject({ host: 'firestore.googleapis.com', emulator: false });
      expect(settingsOf(c)).toMatchObject({ projectId: 'acme', keyFilename: '/secrets/sa.json' });
      expect(settingsOf(c)['ssl']).toBeUndefined();
      const adc = open({}, {});
      expect(settingsOf(adc)['keyFilename']).toBeUndefined();
      expect(settingsOf(adc)['projectId']).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env['FIRESTORE_EMULATOR_HOST'] = saved;
    }
  });
});
