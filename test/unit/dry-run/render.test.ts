/**
 * The dry-run report renderers on a realistic report: a Postgres table → DynamoDB with an estimated count and four
 * sized segments, an S3 prefix → GCS with an exact count and segments of unknown size; a blocker, a warning and cost
 * lines. Text leads with the verdict and gives every blocker its fix; Markdown has its tables; JSON round-trips;
 * HTML loads nothing from anywhere, charts one bar per segment, escapes hostile names and values, and is well formed.
 *
 * `FERRY_DRY_RUN_EXAMPLE=/tmp/dry-run-example.html npx vitest run test/unit/dry-run` also writes the example HTML;
 * `FERRY_DRY_RUN_DUMP=/tmp/dr` writes the example in every format as /tmp/dr.text, .md, .json, .html.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  compactJson,
  formatBytes,
  formatCount,
  formatDuration,
  formatMoney,
  formatUnitPrice,
  segmentSummary,
  targetStateText,
} from '../../../src/dry-run/render-format.js';
import { renderHtml } from '../../../src/dry-run/render-html.js';
import { renderJson } from '../../../src/dry-run/render-json.js';
import { renderMarkdown } from '../../../src/dry-run/render-md.js';
import { renderText } from '../../../src/dry-run/render-text.js';
import { REPORT_FORMATS, isReportFormat, renderReport } from '../../../src/dry-run/render.js';
import type { DryRunReport, StreamDryRun } from '../../../src/dry-run/report.js';

const GB = 1024 ** 3;

function ordersStream(): StreamDryRun {
  const big = 'x'.repeat(420_000);
  return {
    stream: 'public.orders',
    target: 'orders (DynamoDB eu-west-1)',
    count: { value: 12_401_877.5, exact: false, method: 'pg_class.reltuples' },
    bytes: { value: 3.2 * GB, exact: false, method: 'pg_total_relation_size' },
    segments: [
      { id: 's1', estimate: 3_050_000, describe: 'id in [1, 3050001)' },
      { id: 's2', estimate: 3_120_000, describe: 'id in [3050001, 6170001)' },
      { id: 's3', estimate: 2_980_000, describe: 'id in [6170001, 9150001)' },
      { id: 's4', estimate: 3_251_877, describe: 'id in [9150001, ∞)' },
    ],
    samples: [
      {
        key: 'id=1',
        before: { id: 1, customer_id: 4711, status: 'shipped', total: '129.90', placed_at: '2024-03-01T09:12:44.123456Z', lines: [{ sku: 'A-1', qty: 2 }] },
        after: { pk: 'ORDER#1', sk: 'META', customerId: 4711, status: 'shipped', total: 129.9, placedAt: '2024-03-01T09:12:44.123Z', lines: [{ sku: 'A-1', qty: 2 }] },
        targetBytes: 214,
        problems: [],
      },
      {
        key: 'id=88231',
        before: { id: 88231, customer_id: 12, status: 'open', total: '9.99', notes: big },
        after: null,
        targetBytes: 420_183,
        problems: ['item is 410.3 KB, over DynamoDB’s 400 KB item limit'],
      },
      {
        key: 'id=3050001',
        before: { id: 3050001, customer_id: 99, status: 'cancelled', total: '0.00', placed_at: '2024-05-17T23:59:59Z' },
        after: { pk: 'ORDER#3050001', sk: 'META', customerId: 99, status: 'cancelled', total: 0, placedAt: '2024-05-17T23:59:59.000Z' },
        targetBytes: 131,
        problems: [],
      },
    ],
    targetState: {
      exists: true,
      empty: true,
      items: 0,
      keySchema: 'pk (S) HASH, sk (S) RANGE',
      keyMatches: true,
      notes: ['point-in-time recovery is off'],
    },
    estimate: {
      durationS: 4_320,
      limitedBy: 'target units (plan limit 3,000 WCU/s)',
      units: { wru: 12_960_000, rcu: 0 },
      cost: [
        { what: 'DynamoDB on-demand write request units', quantity: 12_960_000, unit: 'WRU', unitPrice: 1.25, per: 1_000_000, amount: 16.2 },
      ],
    },
  };
}

function mediaStream(): StreamDryRun {
  return {
    stream: 's3://acme-media/uploads/',
    target: 'gs://acme-media-eu/uploads/',
    count: { value: 48_213, exact: true, method: 'listing' },
    bytes: { value: 52.4 * GB, exact: true, method: 'listing' },
    segments: [
      { id: 'n1', describe: 'names [“”, “uploads/g”)' },
      { id: 'n2', describe: 'names [“uploads/g”, “uploads/p”)' },
      { id: 'n3', describe: 'names [“uploads/p”, ∞)' },
    ],
    samples: [
      {
        key: 'uploads/2024/03/invoice-0001.pdf',
        before: { name: 'uploads/2024/03/invoice-0001.pdf', size: 183_211, contentType: 'application/pdf', etag: '"9b2cf535f27731c974343645a3985328"' },
        after: { name: 'uploads/2024/03/invoice-0001.pdf', size: 183_211, contentType: 'application/pdf', metadata: { 'x-ferry-source-etag': '9b2cf535f27731c974343645a3985328' } },
        targetBytes: 183_211,
        problems: [],
      },
    ],
    targetState: { exists: true, empty: false, items: 1_204, notes: [] },
    estimate: {
      durationS: 2_715,
      limitedBy: 'network (egress ~20 MB/s)',
      units: { getRequests: 48_213, listRequests: 49, classA: 48_213, egressGB: 52.4 },
      cost: [
        { what: 'S3 GET requests', quantity: 48_213, unit: 'requests', unitPrice: 0.0004, per: 1000, amount: 0.0192852 },
        { what: 'S3 LIST requests', quantity: 49, unit: 'requests', unitPrice: 0.005, per: 1000, amount: 0.000245 },
        { what: 'S3 data transfer out to the internet', quantity: 52.4, unit: 'GB', unitPrice: 0.09, per: 1, amount: 4.716 },
        { what: 'GCS Class A operations', quantity: 48_213, unit: 'operations', unitPrice: 0.005, per: 1000, amount: 0.241065 },
      ],
    },
  };
}

function report(): DryRunReport {
  const streams = [ordersStream(), mediaStream()];
  return {
    version: 1,
    generatedAt: '2025-06-12T02:14:07.000Z',
    plan: { name: 'cutover-eu', path: 'plans/cutover-eu.yaml', hash: 'sha256:4be1d0c9a3f27e55b0c1d2e3f4a5b6c7', source: 'postgres (orders-db), s3 (acme-media)', target: 'dynamodb (eu-west-1), gcs (acme-media-eu)' },
    sampleSize: 3,
    streams,
    totals: {
      items: streams.reduce((n, s) => n + Math.round(s.count.value), 0),
      bytes: streams.reduce((n, s) => n + s.bytes.value, 0),
      durationS: 4_320,
      cost: streams.reduce((n, s) => n + s.estimate.cost.reduce((m, c) => m + c.amount, 0), 0),
      currency: 'USD',
    },
    prices: { date: '2025-05-20', currency: 'USD', source: 'built-in (prices/cloud-prices.yaml)', overridden: [] },
    findings: [
      {
        severity: 'warning',
        stream: 's3://acme-media/uploads/',
        code: 'target-not-empty',
        message: 'gs://acme-media-eu/uploads/ already holds 1,204 objects.',
        fix: 'Empty the prefix first, or keep them on purpose with `sync: keep-extra`.',
      },
      {
        severity: 'blocker',
        stream: 'public.orders',
        code: 'item-too-large',
        message: 'Sampled order id=88231 is 410.3 KB as a DynamoDB item, over the 400 KB limit.',
        fix: 'Map `notes` to an S3 object (field_map: notes → s3_ref) or drop it for this target.',
        keys: ['id=88231'],
      },
    ],
    verdict: 'blocked',
  };
}

/** A report whose every string is hostile: markup, quotes, control characters, table pipes, backticks. */
function hostile(): DryRunReport {
  const r = report();
  const s = r.streams[0]!;
  s.stream = '<script>alert(1)</script>';
  s.target = '"><img src=x onerror=alert(2)>';
  s.segments[0]!.id = '<b>seg</b>';
  s.segments[0]!.describe = `&<>"' </title><script>alert(4)</script>`;
  s.samples[0]!.key = '</details><script>alert(3)</script>';
  s.samples[0]!.before = { name: `&<>"'`, html: '</pre><script>alert(5)</script>', esc: '\u001b[31mred\u001b[0m' };
  s.targetState.notes = ['<iframe src="https://evil.example/">'];
  s.estimate.limitedBy = 'a|b `c` *d*';
  r.plan.name = '</title><script>alert(6)</script>';
  r.findings[1]!.stream = s.stream;
  r.findings[1]!.message = `values with &<>"' and <a href="https://evil.example">a link</a>`;
  r.findings[1]!.fix = 'see https://example.com/docs | or \u001b]0;pwned\u0007';
  return r;
}

describe('number formatting', () => {
  it('groups thousands, sizes bytes, spells durations, prices money', () => {
    expect(formatCount(12_401_877.5)).toBe('12,401,878');
    expect(formatCount(999)).toBe('999');
    expect(formatBytes(412)).toBe('412 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(812 * 1024 ** 2)).toBe('812 MB');
    expect(formatBytes(3.2 * GB)).toBe('3.2 GB');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(0.2)).toBe('< 1 s');
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(450)).toBe('7 min 30 s');
    expect(formatDuration(2_715)).toBe('45 min');
    expect(formatDuration(4_320)).toBe('1 h 12 min');
    expect(formatDuration(3_599.9)).toBe('1 h');
    expect(formatDuration(3 * 86_400 + 4 * 3600)).toBe('3 d 4 h');
    expect(formatMoney(1234.5, 'USD')).toBe('1,234.50 USD');
    expect(formatMoney(0.000245)).toBe('< 0.01');
    expect(formatMoney(0)).toBe('0.00');
    expect(formatMoney(0.0192852)).toBe('0.02');
    expect(formatUnitPrice({ what: '', quantity: 1, unit: 'WRU', unitPrice: 1.25, per: 1_000_000, amount: 0 }, 'USD')).toBe('1.25 USD / 1,000,000 WRU');
    expect(formatUnitPrice({ what: '', quantity: 1, unit: 'GB', unitPrice: 0.09, per: 1, amount: 0 }, 'USD')).toBe('0.09 USD / GB');
  });

  it('shortens sample JSON: long strings, long arrays, and the line', () => {
    const line = compactJson({ notes: 'x'.repeat(1000), list: Array.from({ length: 50 }, (_, i) => i) }, 400);
    expect(line).toContain('…(+');
    expect(line).toContain('"… 44 more"');
    expect(line.length).toBeLessThan(200);
    expect(compactJson({ a: 'y'.repeat(30) }, 20)).toHaveLength(20);
    // A field named __proto__ (JSON.parse makes it an own property) is shown, not swallowed.
    expect(compactJson(JSON.parse('{"__proto__": 1, "b": 2}'))).toBe('{"__proto__":1,"b":2}');
  });

  it('states the target: existence, creation, emptiness, key schema, capacity', () => {
    expect(targetStateText({ exists: false, empty: 'unknown', created: true, capacity: { mode: 'provisioned', writeUnits: 500, readUnits: 100 }, notes: [] })).toBe(
      'does not exist, will be created, provisioned 500 WCU / 100 RCU',
    );
    expect(targetStateText({ exists: false, empty: 'unknown', created: false, notes: [] })).toBe('does not exist and will not be created: a run would fail');
    expect(targetStateText({ exists: true, empty: false, items: 3, keySchema: 'id (S) HASH', keyMatches: false, capacity: { mode: 'on_demand' }, notes: [] })).toBe(
      'exists, not empty (3 items), key id (S) HASH — does NOT match the plan, on-demand',
    );
    expect(targetStateText({ exists: 'unknown', empty: 'unknown', notes: [] })).toBe('existence unknown, emptiness unknown');
  });

  it('summarises segments with and without estimates', () => {
    expect(segmentSummary(ordersStream().segments).text).toBe('4 segments, est. ~2,980,000 – 3,251,877 items each');
    expect(segmentSummary(mediaStream().segments).text).toBe('3 segments, sizes not known in advance');
    expect(segmentSummary([]).text).toBe('no segments (one pass)');
  });
});

describe('text', () => {
  const text = renderText(report());
  const lines = text.split('\n');

  it('starts with the verdict and the number of blockers, and ends with it', () => {
    expect(lines[0]).toMatch(/^BLOCKED: 1 blocker, 1 warning — dry run of plan cutover-eu$/);
    expect(lines.at(-2)).toMatch(/^BLOCKED: 1 blocker, 1 warning\. Fix the blockers/);
  });

  it('gives the totals with the price date and currency', () => {
    expect(text).toMatch(/items +~12,450,091 \(estimated\) in 2 streams/);
    expect(text).toMatch(/duration +1 h 12 min at the plan's limits/);
    expect(text).toMatch(/cost +21\.18 USD, prices as of 2025-05-20 \(USD, built-in \(prices\/cloud-prices\.yaml\)\)/);
  });

  it('describes each stream: count and how, segments, target, estimate, cost lines', () => {
    expect(text).toContain('STREAM 1/2: public.orders → orders (DynamoDB eu-west-1)');
    expect(text).toMatch(/count +~12,401,878 \(estimated: pg_class\.reltuples\)/);
    expect(text).toMatch(/count +48,213 \(exact: listing\)/);
    expect(text).toMatch(/segments +4 segments, est\. ~2,980,000 – 3,251,877 items each/);
    expect(text).toMatch(/segments +3 segments, sizes not known in advance/);
    expect(text).toMatch(/target +exists, empty, key pk \(S\) HASH, sk \(S\) RANGE — matches the plan/);
    expect(text).toMatch(/target +exists, not empty \(1,204 items\)/);
    expect(text).toMatch(/estimate +1 h 12 min, limited by target units/);
    expect(text).toMatch(/DynamoDB on-demand write request units +12,960,000 WRU +× 1\.25 USD \/ 1,000,000 WRU += 16\.20 USD/);
    expect(text).toMatch(/S3 LIST requests .*= +< 0\.01 USD/);
    expect(text).toContain('stream total 4.98 USD');
  });

  it('shows samples before → after as compact JSON, long values cut', () => {
    expect(text).toContain('before  {"id":1,"customer_id":4711,"status":"shipped"');
    expect(text).toContain('after   {"pk":"ORDER#1","sk":"META"');
    expect(text).toContain('after   REFUSED (not written)');
    expect(text).toContain('✗ item is 410.3 KB, over DynamoDB’s 400 KB item limit');
    expect(text).not.toContain('x'.repeat(200));
    for (const l of lines) expect(l.length).toBeLessThan(220);
  });

  it('counts the largest record apart from the samples asked for, and says why it is there', () => {
    const r = report();
    const s = r.streams[0]!;
    s.samples = [...s.samples.slice(0, 1), { ...s.samples[1]!, note: "the stream's largest record (420,183 bytes in the source), checked besides the samples" }];
    const out = renderText(r);
    expect(out).toMatch(/samples +1 \+ the largest record\n/);
    expect(out).toContain("(the stream's largest record (420,183 bytes in the source), checked besides the samples)");
    expect(renderMarkdown(r)).toContain("_the stream's largest record (420,183 bytes in the source), checked besides the samples_");
    expect(renderHtml(r)).toContain('(1 + the largest record, 1 with a problem)');
  });

  it('lists findings blockers first, each with its fix', () => {
    const b = text.indexOf('BLOCKERS (1)');
    const w = text.indexOf('WARNINGS (1)');
    expect(b).toBeGreaterThan(text.indexOf('STREAM 2/2'));
    expect(w).toBeGreaterThan(b);
    const at = lines.findIndex((l) => l.includes('item-too-large'));
    expect(lines[at]).toBe('  ✗ public.orders: item-too-large: Sampled order id=88231 is 410.3 KB as a DynamoDB item, over the 400 KB limit.');
    expect(lines[at + 1]).toBe('    fix: Map `notes` to an S3 object (field_map: notes → s3_ref) or drop it for this target.');
    expect(lines[at + 2]).toBe('    keys: id=88231');
    expect(text).toContain('    fix: Empty the prefix first');
  });

  it('says READY when nothing blocks', () => {
    const r = report();
    r.findings = r.findings.filter((f) => f.severity === 'warning');
    r.verdict = 'ready';
    expect(renderText(r).split('\n')[0]).toBe('READY: 1 warning — dry run of plan cutover-eu');
    r.findings = [];
    expect(renderText(r).split('\n')[0]).toBe('READY — dry run of plan cutover-eu');
    expect(renderText(r)).toContain('FINDINGS: none');
  });

  it('cannot be made to send control sequences to the terminal', () => {
    const t = renderText(hostile());
    expect(t).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(t).toContain('\\u001b]0;pwned\\u0007');
  });
});

describe('markdown', () => {
  const md = renderMarkdown(report());

  it('heads with the verdict and a summary table', () => {
    expect(md.split('\n')[0]).toBe('# Dry run of plan `cutover-eu`: ⛔ **BLOCKED** (1 blocker, 1 warning)');
    expect(md).toContain('| Cost | **21.18 USD**, prices as of 2025-05-20 (USD, built-in (prices/cloud-prices.yaml)) |');
  });

  it('has tables for streams, costs and findings', () => {
    expect(md).toContain('| Stream | Target | Count | Bytes | Segments | Target state | Duration | Limited by | Cost |');
    expect(md).toContain('| `public.orders` | `orders (DynamoDB eu-west-1)` | \\~12,401,878 est. | \\~3.2 GB | 4 |');
    expect(md).toContain('| Stream | What | Quantity | Unit price | Amount |');
    expect(md).toContain('| `public.orders` | DynamoDB on\u002Ddemand write request units | 12,960,000 WRU | 1.25 USD / 1,000,000 WRU | 16.20 USD |');
    expect(md).toContain('| **Total** |   |   |   | **21.18 USD** |');
    expect(md).toContain('|  | Severity | Stream | Code | Finding | Fix |'.replace('|  |', '|   |'));
    const findings = md.split('\n').filter((l) => l.startsWith('| ⛔') || l.startsWith('| ⚠️'));
    expect(findings).toHaveLength(2);
    expect(findings[0]).toContain('`item-too-large`');
    expect(findings[0]).toContain('Map `notes` to an S3 object');
    expect(findings[1]).toContain('`target-not-empty`');
  });

  it('shows samples in fenced json blocks', () => {
    expect(md).toContain('#### `id=1` (214 B in the target)\n\nBefore:\n\n```json\n{\n  "id": 1,');
    expect(md).toContain('After: **refused**, not written.');
    const fences = md.split('\n').filter((l) => l.startsWith('```'));
    expect(fences.length % 2).toBe(0);
  });

  it('keeps hostile names from breaking tables or injecting HTML', () => {
    const h = renderMarkdown(hostile());
    // Code spans and fenced blocks show their content literally; outside them no `<` may reach the Markdown
    // unescaped, but for the line breaks the renderer puts in table cells itself.
    const prose = h.replace(/^(`{3,})json\n[\s\S]*?\n\1$/gm, '').replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
    const stray = prose.replace(/<br>/g, '').split('\n').filter((l) => /(?<!\\)</.test(l));
    expect(stray).toEqual([]);
    expect(h).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(prose).toContain('\\<a href="https://evil.example"\\>');
    // Every row of each table has as many cells as its header: no `|` escaped the cell it came in.
    const cells = (l: string): number => l.replace(/\\\|/g, '').split('|').length;
    const rows = h.split('\n');
    for (let i = 0; i < rows.length; i++) {
      if (!rows[i]!.startsWith('| ') || rows[i - 1]?.startsWith('|')) continue;
      const n = cells(rows[i]!);
      for (let j = i; j < rows.length && rows[j]!.startsWith('|'); j++) expect(cells(rows[j]!), rows[j]).toBe(n);
    }
  });
});

describe('json', () => {
  it('round-trips to the same object, pretty with 2 spaces', () => {
    expect(JSON.parse(renderJson(hostile()))).toEqual(hostile());
    const r = report();
    const json = renderJson(r);
    expect(JSON.parse(json)).toEqual(r);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json.split('\n')[1]).toBe('  "version": 1,');
  });

  it('keeps fields added to the contract later, after the known ones', () => {
    const r = report();
    r.streams[0]!.targetState.capacity = { mode: 'provisioned', writeUnits: 500 };
    Object.assign(r.streams[0]!.targetState, { zNew: { b: 1, a: 2 } });
    const json = renderJson(r);
    expect(JSON.parse(json)).toEqual(r);
    expect(Object.keys((JSON.parse(json) as DryRunReport).streams[0]!.targetState)).toEqual(['exists', 'empty', 'items', 'keySchema', 'keyMatches', 'capacity', 'notes', 'zNew']);
  });

  it('is stable: the same report in any key order renders the same text', () => {
    const shuffle = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(shuffle);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, shuffle(x)]));
      return v;
    };
    const r = report();
    // Sample records keep their own field order, as read; everything else is reordered here.
    const shuffled = shuffle(r) as DryRunReport;
    shuffled.streams.forEach((s, i) => s.samples.forEach((x, j) => Object.assign(x, { before: r.streams[i]!.samples[j]!.before, after: r.streams[i]!.samples[j]!.after })));
    expect(renderJson(shuffled)).toBe(renderJson(r));
    expect(Object.keys(JSON.parse(renderJson(shuffled)) as object)).toEqual(['version', 'generatedAt', 'plan', 'sampleSize', 'streams', 'totals', 'prices', 'findings', 'verdict']);
  });
});

/**
 * Well-formedness without a parser: outside <style> and <script>, every `<` must open a tag the tokenizer
 * recognises (so no report text reached the page unescaped), every non-void element must close in order, and
 * every attribute value must be quoted.
 */
function checkWellFormed(html: string): string[] {
  const errors: string[] = [];
  const body = html.replace(/<!doctype html>/i, '').replace(/(<style>)[\s\S]*?(<\/style>)/g, '$1$2').replace(/(<script>)[\s\S]*?(<\/script>)/g, '$1$2');
  const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'wbr']);
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*(?:="[^"<>]*")?)*)\s*(\/?)>/g;
  let tags = 0;
  const stack: string[] = [];
  for (const m of body.matchAll(tag)) {
    tags++;
    const [, close, name, , selfClose] = m;
    const n = name!.toLowerCase();
    if (close) {
      const open = stack.pop();
      if (open !== n) errors.push(`</${n}> closes <${open}>`);
    } else if (!selfClose && !VOID.has(n)) stack.push(n);
  }
  if (stack.length > 0) errors.push(`unclosed: ${stack.join(' ')}`);
  const lt = (body.match(/</g) ?? []).length;
  if (lt !== tags) errors.push(`${lt - tags} '<' outside recognised tags`);
  return errors;
}

describe('html', () => {
  const html = renderHtml(report());

  it('is one self-contained file: nothing loaded from the network', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|audio|video|source)\b/i);
    for (const m of html.matchAll(/\s(src|href|xlink:href|action)="([^"]*)"/g)) expect(m[2], m[0]).toMatch(/^#/);
    // A Content-Security-Policy forbids loads anyway; its script hash matches the one inline script.
    const csp = (/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '').replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  });

  it('is well formed', () => {
    expect(checkWellFormed(html)).toEqual([]);
    expect((html.match(/<svg\b/g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
    expect((html.match(/<table\b/g) ?? []).length).toBe((html.match(/<\/table>/g) ?? []).length);
  });

  it('has the summary: verdict badge, totals, price date', () => {
    expect(html).toContain('<span class="badge blocked">BLOCKED<small>1 blocker, 1 warning</small></span>');
    expect(html).toContain('<dt>Cost</dt><dd>21.18 USD<small>prices as of 2025-05-20</small></dd>');
    expect(html).toContain('<dt>Items</dt><dd>~12,450,091<small>estimated, 2 streams</small></dd>');
  });

  it('charts one bar per segment, and says when sizes are not known', () => {
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(1);
    expect((svgs[0]!.match(/<rect class="bar"/g) ?? []).length).toBe(4);
    expect(svgs[0]).toContain('<title>s4: ~3,251,877 items, id in [9150001, ∞)</title>');
    expect(html).toContain('3 segments: sizes not known in advance.');
    // Bar heights follow the estimates.
    const heights = [...svgs[0]!.matchAll(/<rect class="bar"[^>]* height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights.indexOf(Math.max(...heights))).toBe(3);
    expect(heights.indexOf(Math.min(...heights))).toBe(2);
  });

  it('shows findings, blockers first and red, each with its fix', () => {
    const b = html.indexOf('<li class="finding blocker">');
    const w = html.indexOf('<li class="finding warning">');
    expect(b).toBeGreaterThan(0);
    expect(w).toBeGreaterThan(b);
    expect(html).toContain('<p class="fix"><b>Fix:</b> Map <code>notes</code> to an S3 object (field_map: notes → s3_ref) or drop it for this target.</p>');
  });

  it('puts samples in <details>, problem records open', () => {
    expect((html.match(/<details class="sample-record/g) ?? []).length).toBe(4);
    expect(html).toContain('<details class="sample-record problem" open>');
    expect(html).toContain('Refused: this record would not be written.');
  });

  it('escapes every string from the report', () => {
    const h = renderHtml(hostile());
    expect(h).not.toContain('<script>alert');
    expect(h).not.toContain('<img');
    expect(h).not.toContain('<iframe');
    expect(h).not.toContain('<a href="https');
    expect(h).not.toContain('<b>seg');
    expect(h).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(h).toContain('&amp;&lt;&gt;&quot;&#39;');
    expect(h).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(h).not.toMatch(/<[^>]*\sonerror=/);
    expect((h.match(/<script>/g) ?? []).length).toBe(1);
    expect(h).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(checkWellFormed(h)).toEqual([]);
    // URLs in the report's text stay text: never a link or a load.
    for (const m of h.matchAll(/\s(src|href)="([^"]*)"/g)) expect(m[2], m[0]).toMatch(/^#/);
  });

  it('works for an empty plan', () => {
    const r = report();
    r.streams = [];
    r.findings = [];
    r.verdict = 'ready';
    const h = renderHtml(r);
    expect(checkWellFormed(h)).toEqual([]);
    expect(h).toContain('<span class="badge ready">READY</span>');
  });

  it('writes the example when asked', () => {
    const out = process.env.FERRY_DRY_RUN_EXAMPLE;
    if (out) fs.writeFileSync(out, html);
    const dump = process.env.FERRY_DRY_RUN_DUMP;
    if (dump) {
      for (const f of REPORT_FORMATS) fs.writeFileSync(`${dump}.${f}`, renderReport(report(), f));
      fs.writeFileSync(`${dump}-hostile.html`, renderHtml(hostile()));
    }
  });
});

describe('renderReport', () => {
  it('dispatches on the format', () => {
    const r = report();
    expect(REPORT_FORMATS).toEqual(['text', 'md', 'json', 'html']);
    expect(isReportFormat('md')).toBe(true);
    expect(isReportFormat('pdf')).toBe(false);
    expect(renderReport(r, 'text')).toBe(renderText(r));
    expect(renderReport(r, 'md')).toBe(renderMarkdown(r));
    expect(renderReport(r, 'json')).toBe(renderJson(r));
    expect(renderReport(r, 'html')).toBe(renderHtml(r));
  });
});
