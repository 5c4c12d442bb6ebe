import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import Kafka, { type LibrdKafkaError, type Message, type TopicPartition } from 'node-rdkafka';
import { loadConsumerConfig } from '../../src/consumer/config';
import { GroupMember } from '../../src/consumer/group-member';
import type { KafkaSession, SessionEvents, StoredOffset } from '../../src/consumer/kafka-session';
import { ConsumerMetrics } from '../../src/consumer/metrics';
import { MessageProcessor } from '../../src/consumer/processor';
import { capturedLog } from '../support/captured-log';
import { waitFor } from '../support/wait';

const { ERR__ASSIGN_PARTITIONS, ERR__REVOKE_PARTITIONS } = Kafka.CODES.ERRORS;
const TOPIC = 'orders';

/**
 * node-rdkafka as GroupMember sees it, driven by the test: messages are pushed as librdkafka's
 * fetcher would queue them, rebalances are delivered as librdkafka's callback would, and every
 * offset store and assign call is recorded.
 */
class FakeSession implements KafkaSession {
  readonly stored: StoredOffset[][] = [];
  readonly calls: string[] = [];
  private readonly queue: Message[] = [];
  private owned = new Set<number>();
  constructor(private readonly events: SessionEvents) {}

  readonly rebalanceCalls = {
    assign: (tps: TopicPartition[]) => this.calls.push(`assign(${tps.map((t) => t.partition)})`),
    unassign: () => this.calls.push('unassign()'),
    incrementalAssign: (tps: TopicPartition[]) => this.calls.push(`incrementalAssign(${tps.map((t) => t.partition)})`),
    incrementalUnassign: (tps: TopicPartition[]) => this.calls.push(`incrementalUnassign(${tps.map((t) => t.partition)})`),
  };

  async connect(): Promise<boolean> {
    return true;
  }
  isConnected(): boolean {
    return true;
  }
  subscribe(): void {}
  storeOffsets(offsets: StoredOffset[]): void {
    this.stored.push(offsets.map((o) => ({ ...o })));
  }
  async probe(): Promise<string | null> {
    return null;
  }
  async close(): Promise<void> {
    // librdkafka's close revokes what is left through the rebalance callback.
    this.rebalance(ERR__REVOKE_PARTITIONS, [...this.owned]);
  }
  closing(): boolean {
    return false;
  }

  async take(max: number, waitMs: number): Promise<Message[]> {
    const until = Date.now() + waitMs;
    await new Promise((r) => setImmediate(r));
    while (this.queue.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    return this.queue.splice(0, max);
  }

  rebalance(code: number, partitions: number[]): void {
    for (const p of partitions) {
      if (code === ERR__ASSIGN_PARTITIONS) this.owned.add(p);
      else this.owned.delete(p);
    }
    this.events.rebalance({ code } as LibrdKafkaError, partitions.map((partition) => ({ topic: TOPIC, partition })));
  }

  /** Queues lab messages: partition p, offsets from..to-1, each with its own sequence number offset+1. */
  push(partition: number, from: number, to: number): void {
    for (let offset = from; offset < to; offset++) {
      const value = Buffer.from(JSON.stringify({ seq: offset + 1, partitionSeq: offset + 1, key: 'k', run: 'r', producedAt: Date.now() }));
      this.queue.push({ topic: TOPIC, partition, offset, value, size: value.length, key: null, timestamp: Date.now() } as Message);
    }
  }

  /** The last offset stored for a partition, if any. */
  lastStored(partition: number): number | undefined {
    let last: number | undefined;
    for (const batch of this.stored) for (const o of batch) if (o.partition === partition) last = o.offset;
    return last;
  }
}

// Every member a test starts, stopped when the test ends, failed or not: a running loop would keep
// the test process alive.
const started: GroupMember[] = [];
afterEach(async () => {
  for (const m of started.splice(0)) if (m.lifecycle.state !== 'stopped') await m.stop();
});

function member(env: Record<string, string>) {
  const config = loadConsumerConfig({ KAFKA_TOPIC: TOPIC, ...env });
  const { log, lines } = capturedLog();
  const metrics = new ConsumerMetrics({ name: 't', group: 'g', topic: TOPIC, clientId: 't', groupProtocol: config.groupProtocol, assignmentStrategy: String(config.assignmentStrategy) });
  let session!: FakeSession;
  const m = new GroupMember(config, 't', new MessageProcessor(metrics, log, config.processingMs), metrics, log, (events) => (session = new FakeSession(events)));
  started.push(m);
  const processed = async (partition: number) => {
    const got = await metrics.registry.getSingleMetric('lab_consumer_messages_processed_total')!.get();
    return got.values.find((v) => String(v.labels.partition) === String(partition))?.value ?? 0;
  };
  return { member: m, session, processed, lines, metrics };
}

describe('the group member (a fake node-rdkafka session)', () => {
  test('offsets are stored once per batch and only up to what was processed; a revoked partition\'s fetched messages are skipped, not processed', async () => {
    const { member: m, session, processed } = member({ PROCESSING_MS: '0' });
    await m.start();
    session.rebalance(ERR__ASSIGN_PARTITIONS, [0, 1]);
    await waitFor(() => m.ready(), { timeoutMs: 2_000, what: 'the member to be ready' });
    session.push(0, 0, 5);
    session.push(1, 0, 3);
    await waitFor(() => session.lastStored(0) === 5 && session.lastStored(1) === 3, { timeoutMs: 2_000, what: 'offsets 5 and 3 stored' });
    assert.equal(await processed(0), 5);
    assert.equal(await processed(1), 3);

    // Partition 1 goes to another member; messages of it fetched before the revocation still come.
    session.rebalance(ERR__REVOKE_PARTITIONS, [1]);
    await waitFor(() => session.calls.includes('incrementalUnassign(1)'), { timeoutMs: 2_000, what: 'the revocation to be handled' });
    session.push(1, 3, 6);
    session.push(0, 5, 7);
    await waitFor(() => session.lastStored(0) === 7, { timeoutMs: 2_000, what: 'partition 0 to go on' });
    assert.equal(await processed(1), 3, 'nothing of partition 1 processed after its revocation');
    assert.equal(session.lastStored(1), 3, 'and nothing stored for it');
    for (const batch of session.stored) for (const o of batch) assert.ok(o.partition === 0 ? o.offset <= 7 : o.offset <= 3, `stored ${JSON.stringify(o)} beyond what was processed`);

    await m.stop();
    assert.equal(m.lifecycle.state, 'stopped');
    assert.deepEqual(session.calls, ['incrementalAssign(0,1)', 'incrementalUnassign(1)', 'incrementalUnassign(0)']);
  });

  test('with awaited work, a revocation mid-batch waits for the message in flight, stores its offset, and the rest of the batch of that partition is left for the next owner', async () => {
    const { member: m, session, processed } = member({ PROCESSING_MS: '20' });
    await m.start();
    session.rebalance(ERR__ASSIGN_PARTITIONS, [0]);
    await waitFor(() => m.ready(), { timeoutMs: 2_000, what: 'the member to be ready' });
    session.push(0, 0, 20);
    await waitFor(async () => (await processed(0)) >= 3, { timeoutMs: 2_000, what: 'three messages processed' });
    session.rebalance(ERR__REVOKE_PARTITIONS, [0]);
    await waitFor(() => session.calls.includes('incrementalUnassign(0)'), { timeoutMs: 2_000, what: 'the revocation to be handled' });
    const atRevocation = await processed(0);
    assert.equal(session.lastStored(0), atRevocation, 'the stored offset is the one after the last message processed, the one in flight included');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await processed(0), atRevocation, 'nothing processed after the revocation');
    assert.ok(atRevocation < 20, `the batch was cut short (${atRevocation} of 20)`);
    assert.equal(session.lastStored(0), atRevocation);
    await m.stop();
  });
});
