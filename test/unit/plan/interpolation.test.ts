import { describe, expect, it } from 'vitest';
import { expandString, loadPlanText } from '../../../src/plan/index.js';
import { expectDiagnostics, planErrorOf } from './helpers.js';

describe('expandString', () => {
  const env = { HOST: 'db.internal', EMPTY: '', PORT: '5432' };

  it('expands whole values and references inside larger strings', () => {
    expect(expandString('${env:HOST}', env)).toMatchObject({ text: 'db.internal', expanded: true, errors: [] });
    expect(expandString('postgres://${env:HOST}:${env:PORT}/app', env).text).toBe('postgres://db.internal:5432/app');
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(expandString('${env:NOPE:-fallback}', env).text).toBe('fallback');
    expect(expandString('${env:EMPTY:-fallback}', env).text).toBe('fallback');
    expect(expandString('${env:HOST:-fallback}', env).text).toBe('db.internal');
    expect(expandString('${env:NOPE:-}', env)).toMatchObject({ text: '', errors: [] });
    expect(expandString('${env:NOPE:-a:-b c}', env).text).toBe('a:-b c');
  });

  it('keeps an empty variable without a default as empty, not as an error', () => {
    expect(expandString('x${env:EMPTY}y', env)).toMatchObject({ text: 'xy', errors: [] });
  });

  it('escapes with $${env:', () => {
    expect(expandString('$${env:HOST}', env)).toMatchObject({ text: '${env:HOST}', expanded: false, errors: [] });
    expect(expandString('a $${env:X} b ${env:HOST}', env).text).toBe('a ${env:X} b db.internal');
  });

  it('leaves other ${...} templates alone', () => {
    expect(expandString('INVOICE#${invoice_id}', env)).toMatchObject({ text: 'INVOICE#${invoice_id}', expanded: false });
  });

  it('reports unset, malformed and unterminated references', () => {
    expect(expandString('${env:NOPE}', env).errors).toEqual(['environment variable NOPE is not set; set it or give a default: ${env:NOPE:-value}']);
    expect(expandString('${env:}', env).errors[0]).toContain('malformed reference "${env:}"');
    expect(expandString('${env:A-B}', env).errors[0]).toContain('malformed reference');
    expect(expandString('x ${env:HOST', env).errors[0]).toContain('unterminated reference "${env:HOST"');
  });

  it('lists the variables it used', () => {
    expect(expandString('${env:HOST}${env:PORT}${env:HOST}', env).variables).toEqual(['HOST', 'PORT']);
  });
});

describe('interpolation in plans', () => {
  const plan = (target: string, extra = '') => `version: 1
kind: migration
name: env
source: { type: dynamodb }
target:
${target}
streams:
  - from: Invoices
${extra}`;

  it('types unquoted values after expansion, keeps quoted ones as strings', () => {
    const { plan: p } = loadPlanText(
      plan('  type: dynamodb\n  create: ${env:CREATE}', 'limits:\n  wcu: ${env:WCU}\n  concurrency: ${env:CONC:-3}\n'),
      'p.yaml',
      { CREATE: 'true', WCU: '2500.5' },
    );
    expect(p.target.create).toBe(true);
    expect(p.limits.wcu).toBe(2500.5);
    expect(p.limits.concurrency).toBe(3);

  });

  it('a quoted reference stays a string, so a number option rejects it', async () => {
    const e = await planErrorOf(() => loadPlanText(plan('  type: dynamodb', 'limits:\n  wcu: "${env:WCU}"\n'), 'p.yaml', { WCU: '5' }));
    expectDiagnostics(e.diagnostics, [{ line: 10, column: 8, path: 'limits.wcu', message: 'must be a positive number, got "5"' }]);
  });

  it('an empty unquoted expansion means "not set"; a quoted one is an empty string', async () => {
    const { plan: p } = loadPlanText(plan('  type: dynamodb\n  endpoint: ${env:DDB:-}'), 'p.yaml', {});
    expect(p.target).toEqual({ type: 'dynamodb' });
    const e = await planErrorOf(() => loadPlanText(plan('  type: dynamodb\n  endpoint: "${env:DDB:-}"'), 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [{ line: 7, column: 13, path: 'target.endpoint', message: 'must not be empty' }]);
  });

  it('does not expand keys, and leaves field templates for the mapping layer', () => {
    const { plan: p } = loadPlanText(
      `version: 1\nkind: migration\nname: t\nsource: { type: postgres }\ntarget: { type: firestore }\nstreams:\n  - from: public.invoice\n    id: "\${country}-\${invoice_id}"\n    map:\n      set: { "\${env:K}": "INVOICE#\${invoice_id}" }\n`,
      'p.yaml',
      {},
    );
    expect(p.streams[0]!.id).toBe('${country}-${invoice_id}');
    expect(p.streams[0]!.map!.set).toEqual({ '${env:K}': 'INVOICE#${invoice_id}' });
  });

  it('reports every unset variable with its position, and no schema noise about the same value', async () => {
    const e = await planErrorOf(() => loadPlanText(plan('  type: dynamodb\n  region: ${env:REGION}', 'limits:\n  wcu: ${env:WCU}\n'), 'p.yaml', {}));
    expectDiagnostics(e.diagnostics, [
      { line: 7, column: 11, path: 'target.region', message: 'environment variable REGION is not set' },
      { line: 11, column: 8, path: 'limits.wcu', message: 'environment variable WCU is not set' },
    ]);
  });

  it('an expansion that is not a valid value is reported like a literal one', async () => {
    const e = await planErrorOf(() => loadPlanText(plan('  type: dynamodb', 'limits:\n  wcu: ${env:WCU}\n'), 'p.yaml', { WCU: '-5' }));
    expectDiagnostics(e.diagnostics, [{ line: 10, column: 8, path: 'limits.wcu', message: 'must be a positive number, got -5' }]);
  });

  it('expands anchors once, wherever they are used', () => {
    const { plan: p } = loadPlanText(
      `version: 1\nkind: migration\nname: t\nsource: { type: s3, bucket: &b "\${env:BUCKET}" }\ntarget: { type: gcs, bucket: *b }\nstreams: [{ from: "" }]\n`,
      'p.yaml',
      { BUCKET: 'acme-logs' },
    );
    expect(p.source.bucket).toBe('acme-logs');
    expect(p.target.bucket).toBe('acme-logs');
  });
});
