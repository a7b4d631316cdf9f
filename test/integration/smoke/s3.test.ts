import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, expect, it } from 'vitest';
import { fingerprints } from '../../support/bytes.js';
import { s3, uniqueName } from '../../support/clients.js';

const client = s3();
const bucket = uniqueName('smoke');

async function listAll(pageSize: number): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: pageSize, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    pages += 1;
    // Loop on IsTruncated, as S3 documents: gofakes3 also hands out a NextContinuationToken on a last page that is
    // exactly full, and following it costs one more, empty, page.
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, pages };
}

afterAll(async () => {
  const { keys } = await listAll(1000).catch(() => ({ keys: [] as string[] }));
  if (keys.length) {
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  client.destroy();
});

it('puts objects with non-ASCII keys and binary bodies, a multipart upload, lists in pages and reads back', async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const objects: Record<string, Buffer> = {
    'plain.txt': Buffer.from('hello'),
    'dir/zoë Ångström.txt': Buffer.from('Zoë — 東京 🚢', 'utf8'),
    'dir/東京/bytes.bin': Buffer.from([0, 1, 2, 255, 0]),
    'empty': Buffer.alloc(0),
    'streamed.bin': randomBytes(1000),
  };
  for (const [Key, body] of Object.entries(objects)) {
    const Body = Key === 'streamed.bin' ? Readable.from([body]) : body;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentLength: body.length }));
  }
  // 11 MiB in 5 MiB parts: three parts, so the ETag is the multipart form `"<md5 of md5s>-3"`.
  const big = randomBytes(11 * 1024 * 1024);
  const upload = await new Upload({ client, params: { Bucket: bucket, Key: 'big/multipart.bin', Body: big }, partSize: 5 * 1024 * 1024 }).done();
  expect(upload.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
  objects['big/multipart.bin'] = big;

  const { keys, pages } = await listAll(2);
  expect(pages).toBe(3);
  expect(keys.sort()).toEqual(Object.keys(objects).sort());

  const back: Record<string, Buffer> = {};
  for (const Key of keys) {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
    back[Key] = Buffer.from(await got.Body!.transformToByteArray());
  }
  expect(fingerprints(back)).toEqual(fingerprints(objects));

  // A wrong Content-MD5 is refused, as by S3.
  await expect(client.send(new PutObjectCommand({
    Bucket: bucket, Key: 'bad-md5', Body: 'abc', ContentMD5: '1B2M2Y8AsgTpgAmY7PhCfg==',
  }))).rejects.toMatchObject({ name: 'BadDigest' });
});
