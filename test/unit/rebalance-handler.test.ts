import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Kafka, { type LibrdKafkaError, type TopicPartition } from 'node-rdkafka';
import { Assignment } from '../../src/consumer/assignment';
import { loadConsumerConfig } from '../../src/consumer/config';
import { ConsumerMetrics } from '../../src/consumer/metrics';
import { RebalanceHandler, type RebalanceCalls } from '../../src/consumer/rebalance-handler';
import { SequenceTracker } from '../../src/consumer/sequence-tracker';
import { capturedLog } from '../support/captured-log';

const { ERR__ASSIGN_PARTITIONS, ERR__REVOKE_PARTITIONS } = Kafka.CODES.ERRORS;
const TOPIC = 'orders';

/** librdkafka's consumer as the rebalance handling sees it; `failing` names calls that throw once. */
class FakeConsumer implements RebalanceCalls {
  readonly calls: string[] = [];
  readonly failing = new Set<string>();
  private call(name: string, tps?: TopicPartition[]): this {
    this.calls.push(`${name}(${(tps ?? []).map((tp) => tp.partition).join(',')})`);
    if (this.failing.delete(name)) throw Object.assign(new Error(`Local: ${name} failed`), { code: Kafka.CODES.ERRORS.ERR__STATE });
    return this;
  }
  assign(tps: TopicPartition[]) {
    return this.call('assign', tps);
  }
  unassign() {
    return this.call('unassign');
  }
  incrementalAssign(tps: TopicPartition[]) {
    return this.call('incrementalAssign', tps);
  }
  incrementalUnassign(tps: TopicPartition[]) {
    return this.call('incrementalUnassign', tps);
  }
}

function harness(env: Record<string, string> = {}) {
  const { log, lines } = capturedLog();
  const config = loadConsumerConfig({ KAFKA_TOPIC: TOPIC, ...env });
  const consumer = new FakeConsumer();
  const assignment = new Assignment();
  const stored: number[][] = [];
  let inFlight: Promise<void> | null = null;
  const metrics = new ConsumerMetrics({ name: 't', group: 'g', topic: TOPIC, clientId: 't', groupProtocol: config.groupProtocol, assignmentStrategy: String(config.assignmentStrategy) });
  const handler = new RebalanceHandler(config, consumer, assignment, new SequenceTracker(), metrics, log, {
    inFlight: () => inFlight,
    storeOffsets: (ps) => stored.push([...ps]),
    memberId: () => 'm-1',
  });
  const rebalance = async (code: number, partitions: number[]) => {
    handler.callback({ code } as LibrdKafkaError, partitions.map((partition) => ({ topic: TOPIC, partition })));
    await handler.settled();
  };
  return {
    lines,
    consumer,
    assignment,
    stored,
    assign: (ps: number[]) => rebalance(ERR__ASSIGN_PARTITIONS, ps),
    revoke: (ps: number[]) => rebalance(ERR__REVOKE_PARTITIONS, ps),
    handler,
    metrics,
    /** A message that is being processed for `ms` from now. */
    busyFor: (ms: number) => {
      inFlight = new Promise((r) => setTimeout(r, ms)).then(() => {
        inFlight = null;
      });
    },
  };
}

async function pauses(metrics: ConsumerMetrics): Promise<{ count: number; sum: number }> {
  const h = await metrics.registry.getSingleMetric('lab_consumer_rebalance_pause_seconds')!.get();
  const v = (suffix: string) => h.values.find((x) => (x as { metricName?: string }).metricName === `lab_consumer_rebalance_pause_seconds_${suffix}`)!.value;
  return { count: v('count'), sum: v('sum') };
}

describe('rebalance callbacks', () => {
  test('a revocation stores the processed offsets before it unassigns, so librdkafka commits them', async () => {
    const h = harness();
    await h.assign([0, 1]);
    await h.revoke([1]);
    assert.deepEqual(h.stored, [[1]]);
    assert.deepEqual(h.consumer.calls, ['incrementalAssign(0,1)', 'incrementalUnassign(1)']);
    assert.deepEqual(h.assignment.partitions(), [0]);
  });

  test('when unassign throws, the partition is still given up, the failure is logged, and it is processed again when it comes back', async () => {
    const h = harness();
    await h.assign([0, 1]);
    h.consumer.failing.add('incrementalUnassign');
    await h.revoke([1]);
    assert.deepEqual(h.assignment.partitions(), [0], 'no longer owned');
    assert.ok(h.lines.some((l) => l.level === 'error' && /incrementalUnassign failed/.test(JSON.stringify(l.err))), 'the failure is logged');
    assert.equal(h.assignment.rebalanceCounts().error, 1);
    await h.assign([1]);
    assert.equal(h.assignment.accepts(1, 0), true, 'its messages are processed again');
  });

  test('when the eager unassign throws, every partition is still given up and the next assignment is processed', async () => {
    const h = harness({ ASSIGNMENT_STRATEGY: 'range' });
    await h.assign([0, 1]);
    h.consumer.failing.add('unassign');
    await h.revoke([0, 1]);
    assert.deepEqual(h.assignment.partitions(), []);
    await h.assign([0, 1]);
    assert.equal(h.assignment.accepts(0, 0) && h.assignment.accepts(1, 0), true);
  });

  test('when incrementalAssign throws, the partitions are still recorded as owned (their messages are processed if they come) and the failure is logged', async () => {
    const h = harness();
    h.consumer.failing.add('incrementalAssign');
    await h.assign([0, 1]);
    assert.deepEqual(h.assignment.partitions(), [0, 1]);
    assert.equal(h.assignment.accepts(0, 0), true);
    assert.ok(h.lines.some((l) => l.level === 'error' && /incrementalAssign failed/.test(JSON.stringify(l.err))));
  });

  test('an incremental revocation reports the pause librdkafka imposes on every assigned partition until the unassign: here, the message in flight', async () => {
    const h = harness();
    await h.assign([0, 1]);
    h.busyFor(80);
    await h.revoke([1]);
    const { count, sum } = await pauses(h.metrics);
    assert.ok(sum >= 0.07, `paused ${sum} s in ${count} rebalance callbacks; partition 0 waited for the 80 ms message`);
  });
});
