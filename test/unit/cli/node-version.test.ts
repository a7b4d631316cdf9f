/**
 * The launchers on an end-of-life Node.js: one sentence naming the version found and the version needed, exit 2, and
 * nothing loaded (no native module, no SDK). Run on a real Node 20 (FERRY_NODE20, which .ci/run provides, else one
 * `scripts/node-runtime 20` installs from the npm registry), and on this Node with only its version string changed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';

const SENTENCE = /^ferry: Node\.js (\S+) is too old; ferry needs Node\.js 22 or newer \(24 LTS recommended\): install it .* and run ferry again\.\n$/;

function node20(): string {
  const given = process.env['FERRY_NODE20'];
  if (given) return given;
  const dir = execFileSync(path.join(ROOT, 'scripts/node-runtime'), ['20'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return path.join(dir, 'bin/node');
}

function run(nodeBin: string, args: string[]) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-node-version-'));
  const r = spawnSync(nodeBin, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('start-up on an unsupported Node.js', () => {
  it('a real Node 20: one sentence with the version found and needed, exit 2, for ferry and for the benches', { timeout: 120_000 }, () => {
    const bin = node20();
    const version = execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    expect(version).toMatch(/^20\./);
    for (const launcher of ['bin/ferry.js', 'bin/bench.js']) {
      const r = run(bin, [path.join(ROOT, launcher), 'run', 'plans/demo-chinook-to-dynamodb.yaml']);
      expect(r.code, launcher).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(SENTENCE);
      expect(SENTENCE.exec(r.err)?.[1]).toBe(version);
    }
  });

  it('this Node reporting 21.7.3 is refused the same way before anything is imported', () => {
    const preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-node-version-')), 'old.mjs');
    fs.writeFileSync(preload, "Object.defineProperty(process.versions, 'node', { value: '21.7.3' });\n");
    const r = run(process.execPath, ['--import', preload, path.join(ROOT, 'bin/ferry.js'), '--version']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(SENTENCE);
    expect(r.err).toContain('Node.js 21.7.3 is too old');
  });

  it('this Node (22 or newer) starts without a word on stderr', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
    const r = run(process.execPath, [path.join(ROOT, 'bin/ferry.js'), '--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.err).toBe('');
  });
});
