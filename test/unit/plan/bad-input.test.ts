/** Input that used to pass `plan check` and fail in `run` (or crash it): each is now a plan error with file:line:column. */
import { describe, expect, it } from 'vitest';
import { exitCodeFor, EXIT } from '../../../src/errors.js';
import { loadPlanText, PlanError } from '../../../src/plan/index.js';
import { expectDiagnostics, planErrorOf } from './helpers.js';

const plan = (source: string, target: string, streams: string): string =>
  ['version: 1', 'kind: migration', 'name: p', `source: ${source}`, `target: ${target}`, `streams: ${streams}`].join('\n');
const pg = '{ type: postgres, url: "postgres://u@127.0.0.1/db" }';
const ddb = '{ type: dynamodb, region: us-east-1 }';
const errorOf = (text: string) => planErrorOf(() => loadPlanText(text, 'p.yaml', {}));

describe('plan check refuses, before any job exists', () => {
  it('a "billion laughs" of aliases, at the first alias, with exit 2', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, l] of ['b', 'c', 'd', 'e', 'f'].entries()) levels.push(`${l}: &${l} [${Array(9).fill(`*${'abcde'[i]}`).join(',')}]`);
    const e = await errorOf(['version: 1', 'kind: migration', 'name: lol', ...levels].join('\n'));
    expectDiagnostics(e.diagnostics, [{ line: 5, column: 8, path: '', message: 'aliases expand to too many values (a YAML "billion laughs")' }]);
    expect(exitCodeFor(e)).toBe(EXIT.USAGE);
  });

  it('a URL whose port is not a number, without printing its password', async () => {
    const e = await errorOf(plan('{ type: postgres, url: "postgres://u:pw@host:notaport/db" }', ddb, '[{ from: public.t }]'));
    expectDiagnostics(e.diagnostics, [{ line: 4, column: 32, path: 'source.url', message: 'not a usable URL (its port is not a number): postgres://u:***@host:notaport/db' }]);
    const endpoint = await errorOf(plan(pg, '{ type: dynamodb, region: us-east-1, endpoint: "http://[bad" }', '[{ from: public.t }]'));
    expectDiagnostics(endpoint.diagnostics, [{ line: 5, column: 56, path: 'target.endpoint', message: 'not a usable URL (it cannot be parsed)' }]);
  });

  it('names the stores would refuse: SQL in a table name, an unclosed quote, an invalid DynamoDB or Firestore name', async () => {
    const e = await errorOf(plan(pg, ddb, '[{ from: "public.x; drop table y", to: "bad table!" }, { from: "public.\\"unclosed", to: ok_table }, { from: sales.order_*, to: ab }]'));
    expectDiagnostics(e.diagnostics, [
      { line: 6, column: 19, path: 'streams[0].from', message: '";" cannot appear in an unquoted name' },
      { line: 6, column: 49, path: 'streams[0].to', message: '"bad table!" is not a DynamoDB table name' },
      { line: 6, column: 73, path: 'streams[1].from', message: 'an unclosed double quote' },
      { line: 6, column: 137, path: 'streams[2].to', message: '"ab" is not a DynamoDB table name: 3 to 255 characters' },
    ]);
    const fs = await errorOf(plan(pg, '{ type: firestore, project: p }', '[{ from: public.a, to: tenants/acme }, { from: public.b, to: __x__ }, { from: public.c, to: a//b }]'));
    expect(fs.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      '"tenants/acme" is not a Firestore collection path: it names a document (an even number of segments)',
      '"__x__" is not a Firestore collection path: the segment "__x__" is reserved',
      '"a//b" is not a Firestore collection path: an empty segment',
    ]);
  });

  it('accepts the names the stores take: quoted names, patterns, nested collections', () => {
    expect(loadPlanText(plan(pg, ddb, '[{ from: \'"odd name".t\', to: My.Table-1 }, { from: "public.*" }]'), 'p.yaml', {}).plan.streams).toHaveLength(2);
    expect(loadPlanText(plan(pg, '{ type: firestore, project: p }', '[{ from: public.a, to: tenants/acme/invoices }]'), 'p.yaml', {}).plan.streams).toHaveLength(1);
  });

  it('a plan over 1 MiB, quickly and without parsing it', () => {
    const streams = Array.from({ length: 40_000 }, (_, i) => `  - { from: public.t${i}, to: table_${i} }`).join('\n');
    const text = `${plan(pg, ddb, '')}\n${streams}\n`;
    let e: unknown;
    try {
      loadPlanText(text, 'big.yaml', {});
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(PlanError);
    expectDiagnostics((e as PlanError).diagnostics, [{ line: 1, column: 1, path: '', message: "over ferry's limit of 1 MiB; name streams by a pattern" }]);
  });
});
