import type { BackupEncoding } from './backup-encoding.js';
import type { ObjectStore } from './object.js';
import type { FerryRecord } from './record.js';
import type { RateUnit, Sink } from './sink.js';
import type { Source } from './source.js';

/** A JSON Schema object (draft 2020-12 subset that ajv understands). */
export type JsonSchema = Record<string, unknown>;

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
}

export interface ConnectorContext {
  signal: AbortSignal;
  logger: Logger;
}

/**
 * What the registry knows about a store. The plan schema is assembled from these, so a new store is one folder plus
 * one line in the registry.
 */
export interface ConnectorDescriptor {
  /** The plan's `type:` value. */
  type: string;
  title: string;
  kind: 'document' | 'object';
  /** Schema of the connection block (`source:` / `target:`), without `type`. */
  optionsSchema: JsonSchema;
  /** Extra keys a stream may carry when this store is its source or its target. */
  sourceStreamSchema?: Record<string, JsonSchema>;
  targetStreamSchema?: Record<string, JsonSchema>;
  /** Rate units this store's sink understands beyond `items_per_second` / `bytes_per_second`. */
  rateUnits?: readonly RateUnit[];
  /**
   * The sink has a ramp-up of its own (Firestore's 500/50/5), switched by the connection-block option `ramp_up`
   * (declared in `optionsSchema`). A plan's `limits.ramp_up: true` sets that option when the target block leaves it
   * out; for a target without one it is a no-op, and loading the plan warns.
   */
  rampUp?: boolean;
  /**
   * Why `name` cannot be a stream of this store (`from:` as a source, `to:` as a target), or undefined. Checked by
   * `ferry plan check`, before any job exists: a name the store would refuse at run time is a plan error.
   */
  streamNameProblem?(role: 'source' | 'target', name: string): string | undefined;
  /** An object store's bucket/container itself (kind `object`), for what is not a copy of objects: backup sets. */
  openObjectStore?(options: Record<string, unknown>, ctx: ConnectorContext): Promise<ObjectStore>;
  /**
   * Layouts of its own a backup of this store may be written in (`backup.format: <name>`), e.g. DynamoDB's export
   * layout; loaded on first use.
   */
  backupFormats?: Readonly<Record<string, () => Promise<BackupEncoding>>>;
  /** Absent until the connector's source is implemented. */
  createSource?(options: Record<string, unknown>, ctx: ConnectorContext): Promise<Source<FerryRecord>>;
  createSink?(options: Record<string, unknown>, ctx: ConnectorContext): Promise<Sink<FerryRecord>>;
}
