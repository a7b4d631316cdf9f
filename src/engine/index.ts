/** The engine's public surface. */
export { runJob, DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, DEFAULT_MAX_REJECTED, type RunJobOptions } from './runner.js';
export type { EventInput, JobSummary, ProgressEvent, ProgressEventType, StreamInfo, StreamSummary, Totals } from './events.js';
export { BatchWriter, DEFAULT_MAX_RETRIES, type WriteContext, type WriteOutcome } from './batch-writer.js';
export { RateLimiter, rateLimitsOf, AIMD_DEFAULTS, type RateLimits, type RateChange, type Cost } from './rate-limiter.js';
export { backoffDelay, sleep, DEFAULT_BACKOFF, type BackoffOptions, type Sleep } from './backoff.js';
export { DEFAULT_LEASE_TTL_MS } from './lease-keeper.js';
export { defaultTargetName, targetRefOf, type TargetNamer } from './stream-plan.js';
export { backupEncodings, openConnectors, openObjectStore, openSink, openSource, openTargetSource, type OpenConnectors } from './open-connectors.js';
export { previewPlan, type StreamPreview } from './preview.js';
export { createWorkerJob, jobNotFound, newJobOf, resumableJob, runPlanJob, unfinishedJobError, type RunPlanJobInput, type RunPlanJobResult } from './lifecycle.js';
export { verifyJob, type VerifyJobInput } from './verify-job.js';
