/**
 * Object names with `.`, `..`, `//`, `\` and control characters, copied GCS → GCS, GCS → S3 and GCS → Azure Blob
 * through the real CLI. GCS and S3 hold every name byte for byte; Azure cannot (URL clients resolve dot segments:
 * `k/../x` would be written to `x`), so those names become dead letters before anything is written, the dry run says
 * so, and a blob outside the target prefix that a normalised name would hit stays untouched.
 *
 * The source is GCS because gofakes3 ignores `EncodingType=url`: its XML listings cannot carry a control character
 * (it arrives as U+FFFD). Amazon S3 encodes them; against gofakes3 such a name is a dead letter that says why.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ContainerClient } from '@azure/storage-blob';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferry, workDir, writePlan } from '../../support/cli.js';
import { azureBlob, gcs, s3, uniqueName } from '../../support/clients.js';

const source = uniqueName('dots-src');
const s3Source = uniqueName('dots-s3src');
/** The same names but the control character, for the S3 target (whose gofakes3 listing would mangle it). */
const sourceNoControl = uniqueName('dots-src-nc');
const s3Target = uniqueName('dots-s3');
const gcsTarget = uniqueName('dots-gcs');
const containerName = uniqueName('dots-az');
let client: S3Client;
let storage: Storage;
let container: ContainerClient;
let dir: string;

/** Every name is under `k/`; each body names its key, so a blob written under another name is seen. */
const HELD_ANYWHERE = ['k/plain.txt', 'k//two.txt', 'k/a..b/ok.txt', 'k/end.'];
const CONTROL = 'k/\u0001ctl.txt';
const NOT_AZURE = ['k/../escape.txt', 'k/./dot.txt', CONTROL, 'k/back\\slash', 'k/..', 'k/.'];
const ALL = [...HELD_ANYWHERE, ...NOT_AZURE];
const body = (name: string): string => `body of ${JSON.stringify(name)}`;
/** What a normalising client would hit: outside the prefix (`escape.txt`) and inside it (`k/dot.txt`). */
const DECOYS = { 'escape.txt': 'decoy at the root', 'k/dot.txt': 'decoy inside the prefix' };

beforeAll(async () => {
  dir = workDir('ferry-dots-');
  client = s3();
  storage = gcs();
  container = azureBlob().getContainerClient(containerName);
  await client.send(new CreateBucketCommand({ Bucket: s3Source }));
  await client.send(new CreateBucketCommand({ Bucket: s3Target }));
  await storage.createBucket(source);
  await storage.createBucket(sourceNoControl);
  await storage.createBucket(gcsTarget);
  await container.create();
  for (const n of ALL) await storage.bucket(source).file(n).save(body(n));
  for (const n of ALL) if (n !== CONTROL) await storage.bucket(sourceNoControl).file(n).save(body(n));
  for (const n of ['k/plain.txt', CONTROL]) await client.send(new PutObjectCommand({ Bucket: s3Source, Key: n, Body: body(n) }));
  await client.send(new PutObjectCommand({ Bucket: s3Target, Key: 'escape.txt', Body: DECOYS['escape.txt'] }));
  await storage.bucket(gcsTarget).file('escape.txt').save(DECOYS['escape.txt']);
  for (const [n, text] of Object.entries(DECOYS)) await container.getBlockBlobClient(n).upload(text, text.length);
}, 120_000);

afterAll(async () => {
  await container.deleteIfExists().catch(() => undefined);
});

function plan(name: string, target: string, src = `{ type: gcs, bucket: ${source}, endpoint: "\${env:GCS_ENDPOINT}", project: test }`, match?: string): string {
  return writePlan(dir, name, [
    'version: 1',
    'kind: migration',
    `name: ${name}`,
    `source: ${src}`,
    `target: ${target}`,
    `streams: [{ from: "k/", to: "k/"${match ? `, match: "${match}"` : ''} }]`,
    'limits: { concurrency: 2, batch_size: 5 }',
    'verify: [checksum]',
    'on_error: { max_rejected: 10 }',
  ]);
}

async function s3Names(bucket: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

const gcsBlock = (bucket: string): string => `{ type: gcs, bucket: ${bucket}, endpoint: "\${env:GCS_ENDPOINT}", project: test }`;

describe.each([
  { store: 's3', target: () => `{ type: s3, bucket: ${s3Target}, endpoint: "\${env:S3_ENDPOINT}" }`, from: () => sourceNoControl, names: () => ALL.filter((n) => n !== CONTROL) },
  { store: 'gcs', target: () => gcsBlock(gcsTarget), from: () => source, names: () => ALL },
])('GCS → $store', ({ store, target, from, names: expected }) => {
  const read = async (name: string): Promise<string> =>
    store === 's3'
      ? await (await client.send(new GetObjectCommand({ Bucket: s3Target, Key: name }))).Body!.transformToString()
      : (await storage.bucket(gcsTarget).file(name).download())[0].toString();
  const names = async (): Promise<string[]> =>
    store === 's3' ? s3Names(s3Target) : (await storage.bucket(gcsTarget).getFiles())[0].map((f) => f.name).sort();

  it('copies every name byte for byte and touches nothing else', async () => {
    const r = ferry(['run', plan(`dots-${store}`, target(), gcsBlock(from())), '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect(r.events.find((e) => e.type === 'job.done')!.summary.target.data.objects).toMatchObject({ copied: expected().length });
    expect(r.events.find((e) => e.type === 'verify.done')!.report.outcome).toBe('match');
    expect(await names()).toEqual([...expected(), 'escape.txt'].sort());
    for (const n of expected()) expect(await read(n)).toBe(body(n));
    expect(await read('escape.txt')).toBe(DECOYS['escape.txt']);
  }, 120_000);
});

describe('GCS → Azure Blob', () => {
  const target = `{ type: azure-blob, container: ${containerName}, connection_string: "\${env:AZURE_STORAGE_CONNECTION_STRING}" }`;
  const azureNames = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const b of container.listBlobsFlat()) out.push(b.name);
    return out.sort();
  };

  it('the dry run names the names Azure cannot hold as refused, not as new', () => {
    const r = ferry(['run', plan('dots-azure-dry', target), '--dry-run', '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    const actions = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { action: string; name: string; reason: string });
    expect(actions.filter((a) => a.action === 'refuse').map((a) => a.name).sort()).toEqual([...NOT_AZURE].sort());
    expect(actions.filter((a) => a.action === 'copy').map((a) => a.name).sort()).toEqual([...HELD_ANYWHERE].sort());
    expect(actions.find((a) => a.name === 'k/../escape.txt')!.reason).toMatch(/resolve its "\.\." path segment/);
  });

  it('refuses them into dead letters with the reason, copies the rest, and never writes outside the prefix', async () => {
    const r = ferry(['run', plan('dots-azure', target), '--json'], { cwd: dir });
    // The refused names are expected absent; the decoy `k/dot.txt` (inside the prefix, not in the source) is the one
    // difference the checksum names, so the job ends with exit 1 (differences) and nothing else.
    expect(r.code, r.err).toBe(1);
    const checksum = r.events.find((e) => e.type === 'verify.done')!.report.results.find((x: { verifier: string }) => x.verifier === 'checksum');
    expect(checksum).toMatchObject({ expectedAbsent: NOT_AZURE.length, missing: { total: 0 }, changed: { total: 0 }, extra: { total: 1, keys: ['name=dot.txt'] } });
    const objects = r.events.find((e) => e.type === 'job.done')!.summary.target.data.objects;
    expect(objects).toMatchObject({ copied: HELD_ANYWHERE.length });
    const jobId = r.events.find((e) => e.type === 'job.done')!.jobId as string;

    // Exactly the copied names and the untouched decoys: nothing landed under a normalised name.
    expect(await azureNames()).toEqual([...HELD_ANYWHERE, ...Object.keys(DECOYS)].sort());
    for (const n of HELD_ANYWHERE) expect((await container.getBlockBlobClient(n).downloadToBuffer()).toString()).toBe(body(n));
    for (const [n, text] of Object.entries(DECOYS)) expect((await container.getBlockBlobClient(n).downloadToBuffer()).toString()).toBe(text);

    const dl = ferry(['dead-letters', jobId, '--json'], { cwd: dir });
    expect(dl.code, dl.err).toBe(0);
    const rows = JSON.parse(dl.out) as { key: string; reason: string }[];
    expect(rows.map((x) => x.key.replace(/^name=/, '')).sort()).toEqual(NOT_AZURE.map((n) => n.slice('k/'.length)).sort());
    const reason = (n: string): string => rows.find((x) => x.key.replace(/^name=/, '') === n)!.reason;
    expect(reason('../escape.txt')).toMatch(/URL clients resolve its "\.\." path segment/);
    expect(reason('\u0001ctl.txt')).toMatch(/control character U\+0001/);
    expect(reason('back\\slash')).toMatch(/turns "\\" into "\/"/);
  }, 120_000);
});

describe('S3 source on a server that ignores EncodingType=url', () => {
  it('makes a control-character name a dead letter that says why, and copies the rest', () => {
    const r = ferry(['run', plan('dots-s3-source', gcsBlock(gcsTarget), `{ type: s3, bucket: ${s3Source}, endpoint: "\${env:S3_ENDPOINT}" }`), '--json'], { cwd: dir });
    const jobId = r.events.find((e) => e.type === 'job.done')!.jobId as string;
    const dl = ferry(['dead-letters', jobId, '--json'], { cwd: dir });
    const rows = JSON.parse(dl.out) as { key: string; reason: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reason).toMatch(/ignores EncodingType=url.*U\+FFFD/);
    const objects = r.events.find((e) => e.type === 'job.done')!.summary.target.data.objects as { copied: number; skipped: number };
    expect(objects.copied + objects.skipped).toBe(1); // k/plain.txt (the GCS → GCS case may have copied it already)
  }, 120_000);
});
