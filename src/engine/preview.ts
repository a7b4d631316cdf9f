/**
 * `ferry run PLAN --dry-run`: what a run would do, stream by stream, from the sink's own preview (an object sink
 * pairs both listings: copy, skip, delete, keep). Nothing is written and no job is recorded.
 */
import type { FerryRecord } from '../core/record.js';
import type { PlannedAction, Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { FerryError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { listPlanStreams, targetRefOf } from './stream-plan.js';

export interface StreamPreview {
  stream: string;
  target: string;
  actions: AsyncIterable<PlannedAction>;
}

export async function* previewPlan(plan: Plan, source: Source<FerryRecord>, sink: Sink<FerryRecord>, signal: AbortSignal): AsyncGenerator<StreamPreview> {
  if (!sink.preview) {
    throw new FerryError('UNSUPPORTED', `--dry-run is not available for a ${plan.target.type} target yet`, {
      hint: 'object plans (s3, gcs, azure-blob) support it; for the others, run against a scratch target',
    });
  }
  for (const { spec, ref, target } of await listPlanStreams(plan, source, signal)) {
    yield { stream: ref.name, target, actions: sink.preview(targetRefOf(spec, ref, target), { source, stream: ref }, signal) };
  }
}
