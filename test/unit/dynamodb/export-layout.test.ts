// DynamoDB's export layout as ferry writes it, read back by a reader written here from AWS's documentation of the
// format (not by ferry's own parser): paths, item lines in DynamoDB JSON, the files list and the summary.
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportId, exportItemLine, exportPaths, manifestFilesText, manifestSummaryText, parseExportItemLine } from '../../../src/connectors/dynamodb/export-layout.js';
import type { Item } from '../../../src/connectors/dynamodb/marshal.js';

const items: Item[] = [
  { pk: { S: 'user#1' }, n: { N: '12345678901234567890.5' }, b: { B: new Uint8Array([0, 1, 255]) }, tags: { SS: ['a', 'b'] }, on: { BOOL: true }, none: { NULL: true } },
  { pk: { S: 'user#2' }, m: { M: { inner: { L: [{ N: '1' }, { BS: [new Uint8Array([7])] }] } } } },
];

/** An independent reader: one {"Item": …} per line, B and BS in base64, as AWS documents DYNAMODB_JSON. */
function readExportLine(line: string): Record<string, unknown> {
  const decode = (av: Record<string, unknown>): unknown => {
    const [type, v] = Object.entries(av)[0]!;
    if (type === 'B') return Buffer.from(v as string, 'base64').toString('hex');
    if (type === 'BS') return (v as string[]).map((x) => Buffer.from(x, 'base64').toString('hex'));
    if (type === 'M') return Object.fromEntries(Object.entries(v as Record<string, Record<string, unknown>>).map(([k, x]) => [k, decode(x)]));
    if (type === 'L') return (v as Record<string, unknown>[]).map(decode);
    return { [type]: v };
  };
  const { Item } = JSON.parse(line) as { Item: Record<string, Record<string, unknown>> };
  return Object.fromEntries(Object.entries(Item).map(([k, v]) => [k, decode(v)]));
}

describe('DynamoDB export layout', () => {
  it('lays out AWSDynamoDB/<id>/ with the summary, the files list and gzip data files', () => {
    const id = exportId(new Date('2026-12-07T02:00:00Z'), '1a2b3c4d');
    expect(id).toBe('01796608800000-1a2b3c4d');
    const p = exportPaths('bk/orders/20261207T020000Z-x/', id);
    expect([p.summary, p.files, p.data('00000')]).toEqual([
      `bk/orders/20261207T020000Z-x/AWSDynamoDB/${id}/manifest-summary.json`,
      `bk/orders/20261207T020000Z-x/AWSDynamoDB/${id}/manifest-files.json`,
      `bk/orders/20261207T020000Z-x/AWSDynamoDB/${id}/data/00000.json.gz`,
    ]);
  });

  it('writes items in DynamoDB JSON that an independent reader and ferry both read back exactly', () => {
    const gz = gzipSync(items.map((i) => `${exportItemLine(i)}\n`).join(''));
    const lines = gunzipSync(gz).toString('utf8').trimEnd().split('\n');
    expect(readExportLine(lines[0]!)).toEqual({ pk: { S: 'user#1' }, n: { N: '12345678901234567890.5' }, b: '0001ff', tags: { SS: ['a', 'b'] }, on: { BOOL: true }, none: { NULL: true } });
    expect(readExportLine(lines[1]!)).toEqual({ pk: { S: 'user#2' }, m: { inner: [{ N: '1' }, ['07']] } });
    expect(lines.map(parseExportItemLine)).toEqual(items);
    expect(() => parseExportItemLine('{"item":{}}')).toThrow(/an export line is \{"Item"/);

    const md5 = createHash('md5').update(gz).digest('base64');
    const p = exportPaths('', 'x');
    const files = manifestFilesText([{ key: p.data('00000'), items: 2, md5Base64: md5, etag: 'abc' }]);
    expect(files.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([{ itemCount: 2, md5Checksum: md5, etag: 'abc', dataFileS3Key: 'AWSDynamoDB/x/data/00000.json.gz' }]);

    const summary = JSON.parse(
      manifestSummaryText({
        id: 'x', region: 'eu-west-1', account: '123456789012', table: 'orders', bucket: 'bk', prefix: null,
        startTime: new Date('2026-12-07T02:00:00Z'), endTime: new Date('2026-12-07T02:01:00Z'), exportTime: new Date('2026-12-07T02:00:00Z'),
        paths: p, items: 2, billedSizeBytes: 120,
      }),
    ) as Record<string, unknown>;
    expect(summary).toMatchObject({
      version: '2020-06-30',
      exportArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/export/x',
      tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
      manifestFilesS3Key: 'AWSDynamoDB/x/manifest-files.json',
      itemCount: 2,
      outputFormat: 'DYNAMODB_JSON',
      exportType: 'FULL_EXPORT',
      s3Bucket: 'bk',
      s3Prefix: null,
      s3SseAlgorithm: null,
    });
  });
});
