/** ferry's public library API: load plans, run jobs on a state store, and the contracts connectors implement. */
export * from './errors.js';
export type * from './core/record.js';
export { Decimal, TimeValue, TypedSet, keyText } from './core/record.js';
export type * from './core/stream.js';
export type * from './core/source.js';
export type * from './core/sink.js';
export type * from './core/connector.js';
export type * from './core/checkpoint.js';
export type * from './core/state-store.js';
export { loadPlanFile, loadPlanText, planJsonSchema, PlanError, formatDiagnostics } from './plan/index.js';
export type { LoadedPlan, Plan } from './plan/index.js';
export { runJob, openConnectors } from './engine/index.js';
export type { JobSummary, ProgressEvent, RunJobOptions } from './engine/index.js';
export { openStateStore } from './state/index.js';
export { connectors, getConnector } from './connectors/registry.js';
export { main } from './cli/main.js';
export { verifyStreams, formatVerifyReport, deadLettersByStream } from './verify/index.js';
export type { VerifyReport, StreamVerifyResult, VerifyOutcome } from './verify/index.js';
