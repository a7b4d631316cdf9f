/**
 * `limits.ramp_up: true` in a plan, end to end on the emulator: the plan is loaded from YAML, both ends are opened
 * through the registry (openConnectors), and runJob copies a dynalite table into a Firestore collection. The sink
 * was opened with its 500/50/5 ramp-up, and its commits were paced by it. Only lower bounds of time are asserted
 * (the ramp-up guarantees them); nothing asserts how fast a run without ramp-up must be.
 */
import { BatchWriteItemCommand, CreateTableCommand, DeleteTableCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/core/connector.js';
import { waitForTable } from '../../../src/connectors/dynamodb/table.js';
import { RAMP_START_PER_SECOND } from '../../../src/connectors/firestore/ramp-up.js';
import { FirestoreSink } from '../../../src/connectors/firestore/sink.js';
import { openConnectors } from '../../../src/engine/open-connectors.js';
import { runJob } from '../../../src/engine/index.js';
import { loadPlanText } from '../../../src/plan/index.js';
import { dynamoDb, serviceEnv, uniqueName } from '../../support/clients.js';
import { MemoryWorld } from '../../support/memory-world.js';
import { collectionName, Collections, signal, sink } from './helpers.js';

const ITEMS = 1500;
const client = dynamoDb();
const table = uniqueName('ramp');
const collections = new Collections();
const cleanup = sink();
const quiet: Logger = { debug() {}, info() {}, warn() {} };

beforeAll(async () => {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitForTable({ client }, table, 'active', signal);
  for (let i = 0; i < ITEMS; i += 25) {
    let reqs: WriteRequest[] = Array.from({ length: Math.min(25, ITEMS - i) }, (_, j) => ({
      PutRequest: { Item: { id: { N: String(i + j) }, name: { S: `item ${i + j}` } } },
    }));
    while (reqs.length > 0) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: reqs } }));
      reqs = out.UnprocessedItems?.[table] ?? [];
    }
  }
}, 60_000);

afterAll(async () => {
  await collections.drop(cleanup);
  await cleanup[Symbol.asyncDispose]();
  await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  client.destroy();
});

const planText = (collection: string, limits: string, target = '') => `version: 1
kind: migration
name: ramp-up-test
source:
  type: dynamodb
  region: ${serviceEnv('AWS_REGION')}
  endpoint: ${serviceEnv('DYNAMODB_ENDPOINT')}
target:
  type: firestore
  project: ${serviceEnv('FIRESTORE_PROJECT_ID')}
  emulator_host: ${serviceEnv('FIRESTORE_EMULATOR_HOST')}
${target}
streams:
  - from: ${table}
    to: ${collection}
    id: "\${id}"
    segments: 3
limits:
  concurrency: 3
  batch_size: 250
${limits}
`;

/** Records when each commit started and how many writes it carried. */
function recordCommits(s: FirestoreSink): { at: number; writes: number }[] {
  const commits: { at: number; writes: number }[] = [];
  const commit = s.committer;
  s.committer = async (writes) => {
    commits.push({ at: performance.now(), writes: writes.length });
    await commit(writes);
  };
  return commits;
}

describe('limits.ramp_up on the Firestore emulator', () => {
  it('opens the sink with its 500/50/5 ramp-up, and the job is paced by it', async () => {
    const collection = collections.add(collectionName('ramp'));
    const loaded = loadPlanText(planText(collection, '  ramp_up: true'), 'ramp.yaml');
    expect(loaded.warnings).toEqual([]);
    await using conns = await openConnectors(loaded.plan, { signal, logger: quiet });
    const s = conns.sink as FirestoreSink;
    expect(s).toBeInstanceOf(FirestoreSink);
    expect(s.options.rampUp).toBe(true);
    const commits = recordCommits(s);

    const world = new MemoryWorld({});
    const p = world.process();
    const summary = await runJob({ plan: loaded, store: p.store, job: p.job, source: conns.source, sink: s });
    expect(summary).toMatchObject({ status: 'succeeded', items: ITEMS, rejected: 0 });
    expect(Number((await s.db.collection(collection).count().get()).data().count)).toBe(ITEMS);

    // At 500 writes/s, the last commit could not start before every other commit's writes had had their time.
    const writes = commits.reduce((n, c) => n + c.writes, 0);
    expect(writes).toBe(ITEMS);
    const largest = Math.max(...commits.map((c) => c.writes));
    const span = commits[commits.length - 1]!.at - commits[0]!.at;
    expect(span).toBeGreaterThanOrEqual(((writes - largest) / RAMP_START_PER_SECOND) * 1000 - 100);
    console.log(`limits.ramp_up: ${commits.length} commits of ${writes} writes over ${Math.round(span)} ms (ramp-up floor ${Math.round(((writes - largest) / RAMP_START_PER_SECOND) * 1000)} ms)`);
  });

  it('without limits.ramp_up the same plan opens the sink without it; the target block can still ask for it', async () => {
    const collection = collections.add(collectionName('noramp'));
    {
      await using conns = await openConnectors(loadPlanText(planText(collection, ''), 'ramp.yaml').plan, { signal, logger: quiet });
      expect((conns.sink as FirestoreSink).options.rampUp).toBe(false);
    }
    {
      const loaded = loadPlanText(planText(collection, '  ramp_up: true', '  ramp_up: false'), 'ramp.yaml');
      expect(loaded.warnings.map((w) => w.path)).toEqual(['target.ramp_up']);
      await using conns = await openConnectors(loaded.plan, { signal, logger: quiet });
      expect((conns.sink as FirestoreSink).options.rampUp).toBe(false);
    }
    {
      await using conns = await openConnectors(loadPlanText(planText(collection, '', '  ramp_up: true'), 'ramp.yaml').plan, { signal, logger: quiet });
      expect((conns.sink as FirestoreSink).options.rampUp).toBe(true);
    }
  });
});
