/** Verification's public surface: compare a source and a target after a load, and name the differing keys. */
export {
  verifyStreams,
  verifierOf,
  DEFAULT_BUCKETS,
  DEFAULT_MAX_KEYS,
  DEFAULT_REPORT_KEYS,
  type VerifyStreamsOptions,
} from './verify-streams.js';
export { resolveVerifyStreams, findTargetStream, deadLettersByStream } from './resolve-streams.js';
export { DEFAULT_SAMPLE_SIZE, pickBuckets } from './sample-verifier.js';
export {
  formatVerifyReport,
  formatVerifyReportJson,
  renderVerifyReport,
  verifyRecordOf,
  VERIFY_REPORT_FORMATS,
  type VerifyReportFormat,
} from './format-report.js';
export { formatVerifyReportMd } from './format-md.js';
export { formatVerifyReportHtml } from './format-html.js';
export { overallOutcome } from './report.js';
export type { BucketStats, ChangedRecord, FieldDifference, KeyList, VerifyReportMeta, SideSummary, StreamVerifyResult, VerifierName, VerifyOutcome, VerifyReport } from './report.js';
export type { StreamDeadLetters, VerifyPhase, VerifyProgress, VerifyStream } from './verify-context.js';
export { recordDigest } from './record-digest.js';
export { diffFields, type FieldDiffOptions, type FieldDiffResult } from './field-diff.js';
