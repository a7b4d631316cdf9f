/**
 * Prints a dry run: per stream, every planned action as a JSON line (piped, or --json), or on a terminal the first
 * names of each action and the totals. Exit 0: a dry run that could look at everything succeeded.
 */
import type { PlannedAction } from '../core/sink.js';
import { formatBytes } from '../dry-run/render-format.js';
import { previewPlan } from '../engine/index.js';
import { EXIT } from '../errors.js';
import type { LoadedPlan } from '../plan/index.js';
import type { CliContext } from './context.js';
import { cliLogger } from './execute.js';
import { formatCount } from './output.js';

const SHOWN_PER_ACTION = 20;
const ORDER: readonly PlannedAction['action'][] = ['copy', 'refuse', 'delete', 'skip', 'keep'];
const SAID: Partial<Record<PlannedAction['action'], string>> = {
  keep: 'keep (extra in the target, not deleted)',
  refuse: 'refuse (the target cannot hold the name: dead letters)',
};

export async function dryRun(ctx: CliContext, loaded: LoadedPlan, json: boolean, debug: boolean): Promise<number> {
  const { io } = ctx;
  const abort = new AbortController();
  const logger = cliLogger({ onEvent: () => {}, note: (t) => io.err(t), stop: () => {} }, debug);
  await using conns = await ctx.openConnectors(loaded.plan, { signal: abort.signal, logger });
  for await (const s of previewPlan(loaded.plan, conns.source, conns.sink, abort.signal)) {
    const totals = new Map<string, { n: number; bytes: number; shown: string[] }>();
    for await (const a of s.actions) {
      if (json) {
        io.out(JSON.stringify({ type: 'dry-run', stream: s.stream, target: s.target, ...a }));
        continue;
      }
      const t = totals.get(a.action) ?? { n: 0, bytes: 0, shown: [] };
      t.n++;
      t.bytes += a.bytes;
      if (t.shown.length < SHOWN_PER_ACTION) t.shown.push(`    ${a.action.padEnd(6)} ${a.name} (${formatBytes(a.bytes)}, ${a.reason})`);
      totals.set(a.action, t);
    }
    if (json) continue;
    io.out(`${s.stream || '(whole bucket)'} → ${s.target || '(whole bucket)'}`);
    for (const action of ORDER) {
      const t = totals.get(action);
      if (!t) continue;
      io.out(`  would ${SAID[action] ?? action}: ${formatCount(t.n)} objects, ${formatBytes(t.bytes)}`);
      for (const line of t.shown) io.out(line);
      if (t.n > t.shown.length) io.out(`    … ${formatCount(t.n - t.shown.length)} more (--json lists every one)`);
    }
    if (totals.size === 0) io.out('  nothing in the source or the target');
  }
  io.err('ferry: dry run: nothing was copied or deleted, and no job was recorded');
  return EXIT.OK;
}
