/**
 * On the emulator the connector never looks for a GCE metadata server (which, off Google Cloud, costs a timeout
 * per client, and on a developer's machine may not exist at all): a fake one on a local port counts every request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectionName, readAll, record, signal, sink, source, targetStream } from './helpers.js';
import { serviceEnv } from '../../support/clients.js';

const hits: string[] = [];
const server = http.createServer((req, res) => {
  hits.push(req.url ?? '');
  res.writeHead(404);
  res.end();
});
const saved = { host: process.env['GCE_METADATA_HOST'], detection: process.env['METADATA_SERVER_DETECTION'] };

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env['GCE_METADATA_HOST'] = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The test servers' environment says "none"; an operator's usually says nothing.
  delete process.env['METADATA_SERVER_DETECTION'];
});

afterAll(async () => {
  if (saved.host === undefined) delete process.env['GCE_METADATA_HOST'];
  else process.env['GCE_METADATA_HOST'] = saved.host;
  if (saved.detection !== undefined) process.env['METADATA_SERVER_DETECTION'] = saved.detection;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('writes, reads and counts on the emulator without a metadata lookup', async () => {
  // The fake server works: a bare client without the explicit universe domain asks it.
  const bare = new Firestore({ projectId: serviceEnv('FIRESTORE_PROJECT_ID') });
  await bare.collection('x').limit(1).get();
  await bare.terminate();
  expect(hits.length).toBeGreaterThan(0);
  hits.length = 0;

  const name = collectionName('meta');
  const s = sink();
  const st = targetStream(name);
  await s.prepare(st, 'upsert', signal);
  await s.write(st, [s.toTarget(st, record(1, { v: 1 }))], signal);
  const src = source();
  expect(await readAll(src, name)).toHaveLength(1);
  const [ref] = await src.streams(name, signal);
  expect(await src.count(ref!, signal)).toBe(1);
  expect(hits).toEqual([]);
  await s.db.recursiveDelete(s.db.collection(name));
  await src[Symbol.asyncDispose]();
  await s[Symbol.asyncDispose]();
});
