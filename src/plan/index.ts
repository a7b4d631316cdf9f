/** Plans: loading (YAML + `${env:...}`), validation with file:line:column diagnostics, the JSON Schema. */
export { loadPlanFile, loadPlanText, INLINE_PLAN } from './load.js';
export { PlanError, isPlanError } from './plan-error.js';
export { formatDiagnostics, formatDiagnostic, formatPath, type Diagnostic, type PathSegment } from './diagnostics.js';
export { planJsonSchema, PLAN_SCHEMA_DIALECT, RATE_LIMIT_KEYS } from './plan-schema.js';
export { PLAN_DEFAULTS } from './defaults.js';
export { planHash, canonicalJson } from './plan-hash.js';
export { expandString, type Env } from './interpolate.js';
export type * from './types.js';
export { loadJobPlan, isRedactedPlanText, storedPlanText } from './stored-text.js';
