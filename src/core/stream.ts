/** A source's stream: a table, a collection, a container, or a bucket prefix. */
export interface StreamRef {
  /** The stream's name in the source, e.g. `public.invoice`, `Invoices`, `logs/2024/`. */
  name: string;
  /** Connector-specific facts learned while listing (key columns, row estimate...); JSON-serialisable. */
  meta?: Record<string, unknown>;
}

/** A slice of a stream with its own checkpoint: the unit of parallelism and of resume. */
export interface Segment {
  /** Stable id, unique within a job, e.g. `public.invoice#3/8`. */
  id: string;
  /** The source stream name. */
  stream: string;
  index: number;
  total: number;
  /** Connector-specific, JSON-serialisable description of the slice (key range, scan segment, key-prefix range). */
  spec: unknown;
}

/** A source's opaque resume position, JSON text; committed only after the sink flushed everything before it. */
export type Cursor = string;

export interface Batch<T> {
  items: readonly T[];
  /** Position after the last item of this batch. */
  cursor: Cursor;
  sizeBytes?: number;
}
