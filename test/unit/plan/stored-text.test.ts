/** The plan text a job stores: literal credentials redacted, `${env:...}` references and everything else kept. */
import { describe, expect, it } from 'vitest';
import { isRedactedPlanText, loadPlanText } from '../../../src/plan/index.js';

const env = { PGURL: 'postgres://u:envpw@h/db', KEY: 'k' };
const stored = (text: string): string => loadPlanText(text, 'p.yaml', env).storedText;

describe('storedText', () => {
  it('is the text as written when it holds no credential', () => {
    const text = 'version: 1\nkind: migration\nname: n\n# a comment\nsource: { type: postgres, url: "${env:PGURL}" }\ntarget: { type: dynamodb, region: us-east-1 }\nstreams: [{ from: public.t }]\n';
    expect(stored(text)).toBe(text);
    expect(isRedactedPlanText(text)).toBe(false);
  });

  it('takes out secret options, a URL password and a SAS signature, and says so in its first line', () => {
    const text = [
      'version: 1', 'kind: migration', 'name: n',
      'source: { type: azure-blob, container: cont, connection_string: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net" }',
      'target: { type: s3, bucket: dest, access_key_id: AKID, secret_access_key: hunter2 }',
      'streams: [{ from: "" }]',
      'description: "was postgres://ferry:pw0rd@db:5432/app, see https://x.blob.core.windows.net/c?sv=1&sig=abcdef"',
    ].join('\n');
    const s = stored(text);
    expect(isRedactedPlanText(s)).toBe(true);
    for (const secret of ['hunter2', 'c2VjcmV0', 'abcdef', 'pw0rd']) expect(s).not.toContain(secret);
    expect(s).toContain('postgres://ferry:***@db:5432/app');
    expect(s).toContain('connection_string: "***"');
    expect(s).toContain('secret_access_key: "***"');
    expect(s).toContain('name: n');
  });

  it('keeps env references in secret options as written', () => {
    const s = stored('version: 1\nkind: migration\nname: n\nsource: { type: postgres, url: "${env:PGURL}" }\ntarget: { type: dynamodb, region: us-east-1, access_key_id: "${env:KEY}", secret_access_key: literal-one }\nstreams: [{ from: public.t }]\n');
    expect(s).toContain('${env:PGURL}');
    expect(s).toContain('${env:KEY}');
    expect(s).not.toContain('literal-one');
  });
});
