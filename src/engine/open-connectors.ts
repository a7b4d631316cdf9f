/**
 * Opens a plan's source and target through the connector registry: the engine's only door to concrete stores.
 * A connector whose source or sink is not implemented yet is a clear UNSUPPORTED error, not a crash.
 */
import type { ConnectorContext } from '../core/connector.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { getConnector } from '../connectors/registry.js';
import { FerryError } from '../errors.js';
import type { ConnectionBlock, Plan } from '../plan/types.js';

function optionsOf(block: ConnectionBlock): Record<string, unknown> {
  const { type: _type, ...options } = block;
  return options;
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

export async function openSink(block: ConnectionBlock, ctx: ConnectorContext): Promise<Sink<FerryRecord>> {
  const d = getConnector(block.type);
  if (!d.createSink) {
    throw new FerryError('UNSUPPORTED', `the ${block.type} connector cannot be a target yet`, {
      hint: 'pick another target store, or see the connector list in `ferry connectors`',
    });
  }
  return d.createSink(optionsOf(block), ctx);
}

export interface OpenConnectors extends AsyncDisposable {
  source: Source<FerryRecord>;
  sink: Sink<FerryRecord>;
}

/** Both ends of a plan; if the sink cannot be opened the already-open source is disposed. */
export async function openConnectors(plan: Plan, ctx: ConnectorContext): Promise<OpenConnectors> {
  const source = await openSource(plan.source, ctx);
  let sink: Sink<FerryRecord>;
  try {
    sink = await openSink(plan.target, ctx);
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
