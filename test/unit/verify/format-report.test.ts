import { describe, expect, it } from 'vitest';
import { formatVerifyReport, formatVerifyReportHtml, formatVerifyReportJson, formatVerifyReportMd, renderVerifyReport, verifyRecordOf } from '../../../src/verify/index.js';
import { mdCode } from '../../../src/verify/format-md.js';
import type { VerifyReport } from '../../../src/verify/report.js';
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
    expect(text).toContain('  public.track → Track (checksum):\n    missing: Track: TrackId=3\n    changed: Track: TrackId=42: TrackId 42 → -1\n');
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

/** A report with every kind of difference, a changed record of several fields, and hostile text everywhere. */
async function hostileReport(): Promise<VerifyReport> {
  const evil = '<script>alert(1)</script> | `x` **b** [l](http://evil.example/)';
  const source = new DocSource({
    streams: { t: { count: 30, make: (i) => ({ key: { id: i === 5 ? evil : `k${i}` }, value: { name: `n${i}`, price: 1, [evil]: evil } }) } },
  });
  const target = new DocSource({
    streams: {
      t: {
        count: 31,
        make: (i) => {
          if (i === 1 || i === 2 || i === 3) return null; // missing
          const value: Record<string, unknown> = { name: `n${i}`, price: 1, [evil]: evil };
          if (i === 5) value[evil] = `${evil}!`;
          if (i === 7) Object.assign(value, { name: 'seven', price: '1' });
          return { key: { id: i === 5 ? evil : `k${i}` }, value } as never;
        },
      },
    },
  });
  return verifyRun({ source, target, streams: [{ from: 't' }], verify: ['count', 'checksum'], reportKeys: 2 });
}

describe('verify report as Markdown and HTML', () => {
  const meta = { plan: 'chinook-to-dynamodb', planPath: 'plans/x.yaml', jobId: 'job-1', source: 'postgres', target: 'dynamodb', at: '2026-01-01T00:00:00.000Z', maxDiffs: 2 };

  it('Markdown: header, results table, capped key lists with exact totals, changed fields with both values, notes', async () => {
    const report = await hostileReport();
    const md = formatVerifyReportMd(report, meta);
    expect(md.startsWith('# ferry verification: differ\n')).toBe(true);
    expect(md).toContain('- Plan: `chinook-to-dynamodb` (`plans/x.yaml`)');
    expect(md).toContain('- Job: `job-1`');
    expect(md).toContain('| Stream | Verifier | Outcome | Source | Target | Absent | Missing | Extra | Changed |');
    expect(md).toMatch(/\| `t → t` \| checksum \| \*\*differ\*\* \| 30 \| 28 \| 0 \| 3 \| 1 \| 2 \|/);
    expect(md).toContain('**missing** — in the source, not in the target: 3, 2 listed');
    expect(md).toContain('- … 1 more\n');
    expect(md).toContain('- `id=k7`\n  - `name`: `"n7"` → `"seven"`\n  - `price`: `1` → `"1"`');
    // Hostile text cannot break out: keys and values sit in code spans (rendered literally, no tag, no link), and
    // every table row stays one row.
    expect(md).toContain('- ``id=<script>alert(1)</script> | `x` **b** [l](http://evil.example/)``\n');
    expect(md.split('\n').filter((l) => l.includes('<script>') && !/^\s*- ``/.test(l))).toEqual([]);
    for (const line of md.split('\n').filter((l) => l.startsWith('| `t'))) expect(line.split(/(?<!\\)\|/).length).toBe(11);
    expect(renderVerifyReport('md', report, meta)).toBe(md);
  });

  it('Markdown code spans hold backticks and edge spaces exactly', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`x`')).toBe('`` `x` ``');
    expect(mdCode('line\nbreak')).toBe('`line break`');
  });

  it('HTML: one self-contained file, no network reference, every string escaped', async () => {
    const report = await hostileReport();
    const html = formatVerifyReportHtml(report, meta);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href=|url\(|@import/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<td class="mono">name</td><td class="mono v">&quot;n7&quot;</td><td class="mono v">&quot;seven&quot;</td>');
    expect(html).toContain('<td class="mono">price</td><td class="mono v">1</td><td class="mono v">&quot;1&quot;</td>');
    expect(html).toContain('… 1 more');
    expect(html).toContain('<code>job-1</code>');
    // Tags balance (a crude check that nothing from the report opened one).
    for (const tag of ['table', 'tr', 'td', 'ul', 'li', 'h3']) {
      expect((html.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length).toBe((html.match(new RegExp(`</${tag}>`, 'g')) ?? []).length);
    }
    expect(renderVerifyReport('html', report, meta)).toBe(html);
  });

  it('JSON file: the report with where it comes from; text: the terminal table', async () => {
    const report = await hostileReport();
    expect(JSON.parse(renderVerifyReport('json', report, meta))).toEqual({ type: 'verify.report', ...meta, report });
    expect(renderVerifyReport('text', report, meta)).toBe(formatVerifyReport(report));
    const text = formatVerifyReport(report);
    expect(text).toContain('    changed: t: id=k7:\n      name "n7" → "seven"\n      price 1 → "1"');
    expect(text).toContain('    … 1 more missing');
  });
});
