/**
 * `backup.format: dynamodb`: a DynamoDB table's backup set written in DynamoDB's own export layout (export-layout.ts),
 * one export per table, so Import from S3 can restore it without ferry, and ferry restores it like any set.
 */
import { createHash } from 'node:crypto';
import type { BackupEncoding } from '../../core/backup-encoding.js';
import type { Doc } from '../../core/record.js';
import { exportId, exportItemLine, exportPaths, manifestFilesText, manifestSummaryText, parseExportItemLine } from './export-layout.js';
import { recordOf } from './source.js';
import { toItem } from './marshal.js';

/** A stable export id per job and table: a resumed backup keeps writing the same export. */
function idOf(stream: string, job: { id: string; createdAt: string }): string {
  return exportId(new Date(job.createdAt), createHash('sha256').update(`${job.id}\u0000${stream}`).digest('hex').slice(0, 8));
}

export const dynamodbExport: BackupEncoding = {
  encoding: 'dynamodb-export',
  extension: '.json.gz',
  encode: (record) => exportItemLine(toItem(record.value as Doc)),
  decode: (line, keyFields) => {
    const r = recordOf(parseExportItemLine(line), keyFields);
    return { key: r.key, doc: r.value as Doc };
  },
  streamDir: (stream, job) => `AWSDynamoDB/${idOf(stream, job)}/data/`,
  companions: (stream, files, at) => {
    const id = idOf(stream, at.job);
    const paths = exportPaths(at.setDir, id);
    const bucket = typeof at.target['bucket'] === 'string' ? at.target['bucket'] : typeof at.target['container'] === 'string' ? at.target['container'] : '';
    const region = typeof at.source['region'] === 'string' ? at.source['region'] : 'us-east-1';
    const account = typeof at.source['account_id'] === 'string' ? at.source['account_id'] : '000000000000';
    const started = new Date(at.job.createdAt);
    const filesText = manifestFilesText(
      files.map((f) => ({ key: `${at.setDir}${f.path}`, items: f.records, md5Base64: Buffer.from(f.md5, 'hex').toString('base64'), etag: f.md5 })),
    );
    const rel = (p: string): string => p.slice(at.setDir.length);
    const summary = manifestSummaryText({
      id,
      region,
      account,
      table: stream,
      bucket,
      prefix: at.setDir === '' ? null : at.setDir.replace(/\/$/, ''),
      startTime: started,
      endTime: at.completedAt,
      exportTime: started,
      paths,
      items: files.reduce((n, f) => n + f.records, 0),
      billedSizeBytes: files.reduce((n, f) => n + f.bytes, 0),
    });
    return [
      { path: rel(paths.files), text: filesText },
      { path: rel(paths.summary), text: summary },
    ];
  },
  isCompanion: (path) => /^AWSDynamoDB\/[^/]+\/manifest-(files|summary)\.json$/.test(path),
};
