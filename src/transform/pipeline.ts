/**
 * One record's way from the source to what the target holds: the plan's field map, then the target's own
 * conversion (`sink.toTarget`: types it can store, its key). The engine writes what this returns and the verifier
 * hashes it, so both sides of a checksum are computed on the same form.
 */
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { StreamRef } from '../core/stream.js';
import type { FieldMap } from '../plan/types.js';
import { compileFieldMap } from './field-map.js';

export type RecordMapper = (record: FerryRecord) => FerryRecord;

export function recordPipeline(map: FieldMap | undefined, sink: Pick<Sink<FerryRecord>, 'toTarget'>, target: StreamRef): RecordMapper {
  const fieldMap = compileFieldMap(map) as RecordMapper;
  const toTarget = sink.toTarget?.bind(sink);
  if (!toTarget) return fieldMap;
  return (record) => toTarget(target, fieldMap(record));
}
