/**
 * Opens a plan's source and target through the connector registry: the engine's only door to concrete stores.
 * A connector whose source or sink is not implemented yet is a clear UNSUPPORTED error, not a crash.
 *
 * Plan limits that a connector implements itself reach it as connection-block options, so connectors see only
 * their own options and never the plan: `limits.ramp_up: true` becomes `ramp_up: true` on a target whose descriptor
 * declares `rampUp` (Firestore), unless the target block sets `ramp_up` itself (the block is the more specific
 * place, so it wins either way). Other targets have no ramp-up: there it changes nothing (plan loading warns).
 */
import type { ConnectorContext } from '../core/connector.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { BackupSink } from '../backup/backup-sink.js';
import { checkCompression } from '../backup/compression.js';
import { ObjectSnapshotSink } from '../backup/snapshot-sink.js';
import { BackupSetSource } from '../backup/set-source.js';
import type { ObjectStore } from '../core/object.js';
import type { EncodingResolver } from '../backup/decoders.js';
import type { BackupEncoding } from '../core/backup-encoding.js';
import { connectors, getConnector } from '../connectors/registry.js';
import { FerryError } from '../errors.js';
import type { ConnectionBlock, Limits, Plan } from '../plan/types.js';

function optionsOf(block: ConnectionBlock): Record<string, unknown> {
  const { type: _type, ...options } = block;
  return options;
}

/** The bucket/container of an object store's connection block, for a backup set. */
export async function openObjectStore(block: ConnectionBlock, ctx: ConnectorContext, role: string): Promise<ObjectStore> {
  const d = getConnector(block.type);
  if (!d.openObjectStore) {
    throw new FerryError('CONFIG', `a backup set lives in an object store (s3, gcs, azure-blob); the ${role} is ${block.type}`, {
      hint: 'kind: backup writes to an object store, kind: restore reads from one',
    });
  }
  return d.openObjectStore(optionsOf(block), ctx);
}

/** The layout named by a set manifest's `encoding`, from the connector that offers it. */
export const backupEncodings: EncodingResolver = async (encoding) => {
  for (const c of connectors) {
    for (const load of Object.values(c.backupFormats ?? {})) {
      const enc = await load();
      if (enc.encoding === encoding) return enc;
    }
  }
  return undefined;
};

/** A restore's source: the backup set the plan's `restore:` names, in the source block's store. */
export async function openBackupSetSource(plan: Plan, ctx: ConnectorContext): Promise<Source<FerryRecord>> {
  const r = plan.restore;
  if (!r) throw new FerryError('PLAN_INVALID', 'a restore needs `restore: { plan: <backup plan name> }`');
  const store = await openObjectStore(plan.source, ctx, 'source');
  return new BackupSetSource({ store, prefix: r.prefix ?? '', plan: r.plan }, { ...(r.set ? { set: r.set } : {}) }, ctx, backupEncodings);
}

/** A backup's target: the set the job writes, in the target block's store. */
export async function openBackupSink(plan: Plan, ctx: ConnectorContext): Promise<Sink<FerryRecord>> {
  const format = plan.backup?.format ?? 'ferry';
  let encoding: BackupEncoding | undefined;
  if (format !== 'ferry') {
    const load = getConnector(plan.source.type).backupFormats?.[format];
    if (!load) throw new FerryError('PLAN_INVALID', `backup.format ${format} is not a layout the ${plan.source.type} connector offers; use format: ferry`);
    encoding = await load();
  }
  const compression = plan.backup?.compression ?? 'gzip';
  checkCompression(compression);
  const store = await openObjectStore(plan.target, ctx, 'target');
  const partMb = plan.backup?.part_size_mb;
  if (getConnector(plan.source.type).kind === 'object') {
    // A snapshot of a bucket prefix: objects copied whole by the object sink, listed in the manifest.
    return new ObjectSnapshotSink(store, optionsOf(plan.target), { prefix: plan.backup?.prefix ?? '', create: plan.target['create'] === true, sourceType: plan.source.type }, ctx);
  }
  return new BackupSink(
    store,
    {
      prefix: plan.backup?.prefix ?? '',
      create: plan.target['create'] === true,
      sourceType: plan.source.type,
      ...(partMb ? { partBytes: partMb * 2 ** 20 } : {}),
      compression,
      ...(encoding ? { encoding, targetOptions: optionsOf(plan.target), sourceOptions: optionsOf(plan.source) } : {}),
    },
    ctx,
  );
}

/**
 * The target read back as a source, for verification: the target store's own source, or for a backup the set it
 * wrote (`jobId`: that job's set; else the newest complete one).
 */
export async function openTargetSource(plan: Plan, ctx: ConnectorContext, opts: { jobId?: string; set?: string } = {}): Promise<Source<FerryRecord>> {
  if (plan.kind !== 'backup') return openSource(plan.target, ctx);
  const store = await openObjectStore(plan.target, ctx, 'target');
  const selection = opts.set ? { set: opts.set } : opts.jobId ? { jobId: opts.jobId } : {};
  return new BackupSetSource({ store, prefix: plan.backup?.prefix ?? '', plan: plan.name }, selection, ctx, backupEncodings);
}

export async function openSource(block: ConnectionBlock, ctx: ConnectorContext): Promise<Source<FerryRecord>> {
  const d = getConnector(block.type);
  if (!d.createSource) {
    throw new FerryError('UNSUPPORTED', `the ${block.type} connector cannot be a source yet`, {
      hint: 'pick another source store, or see the connector list in `ferry connectors`',
    });
  }
  return d.createSource(optionsOf(block), ctx);
}

/** The options a target is opened with: its connection block, plus the plan limits it implements itself. */
export function sinkOptionsOf(block: ConnectionBlock, limits?: Limits): Record<string, unknown> {
  const options = optionsOf(block);
  const d = getConnector(block.type);
  if (limits?.ramp_up === true && d.rampUp && options['ramp_up'] === undefined) options['ramp_up'] = true;
  return options;
}

export async function openSink(block: ConnectionBlock, ctx: ConnectorContext, limits?: Limits): Promise<Sink<FerryRecord>> {
  const d = getConnector(block.type);
  if (!d.createSink) {
    throw new FerryError('UNSUPPORTED', `the ${block.type} connector cannot be a target yet`, {
      hint: 'pick another target store, or see the connector list in `ferry connectors`',
    });
  }
  const options = sinkOptionsOf(block, limits);
  if (options['ramp_up'] === true && block['ramp_up'] === undefined) {
    ctx.logger.debug('limits.ramp_up: the target ramps its write rate up', { target: block.type });
  }
  return d.createSink(options, ctx);
}

export interface OpenConnectors extends AsyncDisposable {
  source: Source<FerryRecord>;
  sink: Sink<FerryRecord>;
}

/** Both ends of a plan; if the sink cannot be opened the already-open source is disposed. */
export async function openConnectors(plan: Plan, ctx: ConnectorContext): Promise<OpenConnectors> {
  const source = plan.kind === 'restore' ? await openBackupSetSource(plan, ctx) : await openSource(plan.source, ctx);
  let sink: Sink<FerryRecord>;
  try {
    sink = plan.kind === 'backup' ? await openBackupSink(plan, ctx) : await openSink(plan.target, ctx, plan.limits);
  } catch (e) {
    await Promise.resolve(source[Symbol.asyncDispose]()).catch(() => {});
    throw e;
  }
  return {
    source,
    sink,
    async [Symbol.asyncDispose]() {
      // Sink first: it may still be flushing what the source produced.
      await Promise.resolve(sink[Symbol.asyncDispose]()).catch(() => {});
      await Promise.resolve(source[Symbol.asyncDispose]()).catch(() => {});
    },
  };
}
