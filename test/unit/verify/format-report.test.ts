import { describe, expect, it } from 'vitest';
import { formatVerifyReport, formatVerifyReportJson, verifyRecordOf } from '../../../src/verify/index.js';
import { DocSource, plainRecord } from '../../support/doc-source.js';
import { verifyRun } from '../../support/verify-helpers.js';

describe('verify report formats', () => {
  it('prints a table, the differing keys and the notes', async () => {
    const source = new DocSource({ streams: { 'public.track': { count: 100, make: (i) => ({ key: { TrackId: i }, value: { TrackId: i } }) } } });
    const target = new DocSource({
      streams: { Track: { count: 100, make: (i) => (i === 3 ? null : { key: { TrackId: i }, value: { TrackId: i === 42 ? -1 : i } }) } },
    });
    const report = await verifyRun({ source, target, streams: [{ from: 'public.track', to: 'Track' }], verify: ['count', 'checksum'] });
    const text = formatVerifyReport(report);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^verification: differ \(2 of 2 differ, \d+\.\d s\)$/);
    expect(lines[1]).toMatch(/^ {2}STREAM\s+VERIFIER\s+OUTCOME\s+SOURCE\s+TARGET\s+ABSENT\s+MISSING\s+EXTRA\s+CHANGED$/);
    expect(lines[2]).toMatch(/^ {2}public\.track → Track\s+count\s+differ\s+100\s+99\s+0\s+1\s+0\s+0$/);
    expect(lines[3]).toMatch(/^ {2}public\.track → Track\s+checksum\s+differ\s+100\s+99\s+0\s+1\s+0\s+1$/);
    expect(text).toContain('differences:\n  public.track → Track (count):\n    … 1 more missing (keys not named)\n');
    expect(text).toContain('  public.track → Track (checksum):\n    missing: Track: TrackId=3\n    changed: Track: TrackId=42');
    expect(text).toContain('notes:\n  public.track → Track (count): target has 1 fewer than the source');
  });

  it('says all match briefly', async () => {
    const source = new DocSource({ streams: { s: { count: 10 } } });
    const report = await verifyRun({ source, target: new DocSource({ streams: { s: { count: 10, make: plainRecord } } }), verify: ['count', { sample: 5 }] });
    const text = formatVerifyReport(report);
    expect(text.split('\n')[0]).toMatch(/^verification: match \(all 2 checks match, /);
    expect(text).toContain('sample(5)');
    expect(text).not.toContain('differences:');
  });

  it('round-trips as JSON and gives what the state store saves', async () => {
    const source = new DocSource({ streams: { s: { count: 10 } } });
    const report = await verifyRun({ source, target: new DocSource({ streams: { s: { count: 9 } } }), verify: ['checksum'] });
    expect(JSON.parse(formatVerifyReportJson(report))).toEqual(report);
    expect(verifyRecordOf(report.results[0]!)).toEqual({ stream: 's', verifier: 'checksum', outcome: 'differ', report: report.results[0] });
  });
});
