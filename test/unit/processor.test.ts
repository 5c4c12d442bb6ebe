import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Assignment } from '../../src/consumer/assignment';
import { MessageProcessor } from '../../src/consumer/processor';
import { ConsumerMetrics } from '../../src/consumer/metrics';
import { createLogger } from '../../src/shared/logger';
import { capturedLog } from '../support/captured-log';

function harness(level = 'info') {
  const { log, lines } = capturedLog(level, { consumer: 't' });
    const metrics = new ConsumerMetrics({ name: 't', group: 'g', topic: 'orders', clientId: 't', groupProtocol: 'classic', assignmentStrategy: 'range' });
  return { lines, metrics, processor: new MessageProcessor(metrics, log, 0, () => 2_000) };
}

const lab = (partitionSeq: number, producedAt = 1_000) => Buffer.from(JSON.stringify({ seq: partitionSeq, partitionSeq, key: 'k', run: 'r', producedAt }));

async function sample(metrics: ConsumerMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))?.value;
}

describe('processing one message', () => {
  test('sequences are counted as processed, redelivered and gapped per partition', async () => {
    const { metrics, processor } = harness();
    for (const [offset, seq] of [[0, 1], [1, 2], [2, 2], [3, 5]]) await processor.process({ partition: 3, offset, value: lab(seq) });
    assert.equal(await sample(metrics, 'lab_consumer_messages_processed_total', { partition: '3' }), 4);
    assert.equal(await sample(metrics, 'lab_consumer_redeliveries_total', { partition: '3' }), 1);
    assert.equal(await sample(metrics, 'lab_consumer_sequence_gaps_total', { partition: '3' }), 1);
  });

  test('the processed frontier is the offset after the last processed message; a revoked partition\'s stays exported for a minute, then goes', async () => {
    let clock = 0;
    const metrics = new ConsumerMetrics({ name: 't', group: 'g', topic: 'orders', clientId: 't', groupProtocol: 'classic', assignmentStrategy: 'range' }, true, () => clock);
    const processor = new MessageProcessor(metrics, createLogger('silent', {}), 0);
    // The frontier is Assignment's (what a commit would store); the gauge reads it at each scrape.
    const assignment = new Assignment(() => clock);
    metrics.readFrontier((p) => assignment.nextOffset(p));
    const process = async (offset: number, seq: number) => {
      await processor.process({ partition: 3, offset, value: lab(seq) });
      assignment.processed(3, offset);
    };
    const assign = () => {
      metrics.assignedPartitions(assignment.assign([3]), 1);
    };
    // As RebalanceHandler does: the frontier as the revocation ends, then forgotten with the partition.
    const revoke = () => {
      assignment.beginRevoke([3]);
      const next = assignment.nextOffset(3);
      const removed = assignment.finishRevoke([3], 'revoke');
      metrics.revokedPartitions(removed, 0, null, next === null ? new Map() : new Map([[3, next]]));
    };
    assign();
    for (const [offset, seq] of [[10, 1], [11, 2], [12, 3]]) await process(offset, seq);
    assert.equal(await sample(metrics, 'lab_consumer_processed_offset', { partition: '3' }), 13);
    await process(13, 4);
    // Processed after the last scrape and right before the revocation: the processed counter
    // shows it at the next scrape, so the frontier must too, or the Duplicates stat counts it as
    // processed twice while the partition waits for its next owner's first message.
    revoke();
    clock += 59_000;
    assert.equal(await sample(metrics, 'lab_consumer_processed_offset', { partition: '3' }), 14);
    clock += 2_000;
    assert.equal(await sample(metrics, 'lab_consumer_processed_offset', { partition: '3' }), undefined);
    // Assigned again: no frontier until a message of the new ownership is processed.
    assign();
    assert.equal(await sample(metrics, 'lab_consumer_processed_offset', { partition: '3' }), undefined);
    await process(12, 3);
    assert.equal(await sample(metrics, 'lab_consumer_processed_offset', { partition: '3' }), 13);
    // Revoked and given back before the minute is over: the new ownership's frontier replaces the
    // old one and is not removed with it.
    revoke();
    assign();
    await process(13, 4);
    clock += 61_000;
    assert.equal(await sample(metrics, 'lab_consumer_processed_offset', { partition: '3' }), 14);
  });

  test('end-to-end latency is measured from producedAt', async () => {
    const { metrics, processor } = harness();
    await processor.process({ partition: 0, offset: 0, value: lab(1, 500) });
    const h = await metrics.registry.getSingleMetric('lab_consumer_end_to_end_latency_seconds')!.get();
    assert.equal((h.values as { metricName?: string; value: number }[]).find((v) => v.metricName === 'lab_consumer_end_to_end_latency_seconds_sum')!.value, 1.5);
  });

  test('a batch without simulated work reads the wall clock once: every message\'s end-to-end latency against it, and each counted at the batch\'s average processing time', async () => {
    const metrics = new ConsumerMetrics({ name: 't', group: 'g', topic: 'orders', clientId: 't', groupProtocol: 'classic', assignmentStrategy: 'range' });
    let reads = 0;
    const processor = new MessageProcessor(metrics, createLogger('silent', {}), 0, () => {
      reads++;
      return 2_000;
    });
    processor.startBatch();
    for (const [offset, producedAt] of [[0, 1_000], [1, 1_500], [2, 1_900]]) assert.equal(processor.process({ partition: 0, offset, value: lab(offset + 1, producedAt) }), undefined);
    processor.endBatch(3, 0.003);
    assert.equal(reads, 1, 'one wall-clock reading for the batch');
    const text = await metrics.registry.metrics();
    // 1 + 0.5 + 0.1 s
    assert.match(text, /^lab_consumer_end_to_end_latency_seconds_sum\{consumer="t"\} 1\.6$/m);
    assert.match(text, /^lab_consumer_end_to_end_latency_seconds_count\{consumer="t"\} 3$/m);
    // 3 us in all: 1 us each, in the first bucket.
    assert.match(text, /^lab_consumer_processing_duration_seconds_bucket\{le="0.0005",consumer="t"\} 3$/m);
    assert.match(text, /^lab_consumer_processing_duration_seconds_sum\{consumer="t"\} 0\.000003$/m);
    // After the batch, a message processed alone reads the clock itself again.
    processor.process({ partition: 0, offset: 3, value: lab(4, 1_950) });
    assert.equal(reads, 2);
    assert.match(await metrics.registry.metrics(), /^lab_consumer_processing_duration_seconds_count\{consumer="t"\} 4$/m);
  });

  test('with simulated work each message is timed on its own, batch or not', async () => {
    const metrics = new ConsumerMetrics({ name: 't', group: 'g', topic: 'orders', clientId: 't', groupProtocol: 'classic', assignmentStrategy: 'range' });
    const processor = new MessageProcessor(metrics, createLogger('silent', {}), 5, () => 2_000);
    processor.startBatch();
    await processor.process({ partition: 0, offset: 0, value: lab(1) });
    await processor.process({ partition: 0, offset: 1, value: lab(2) });
    processor.endBatch(2, 1e6);
    const text = await metrics.registry.metrics();
    assert.match(text, /^lab_consumer_processing_duration_seconds_count\{consumer="t"\} 2$/m);
    // Each took its 5 ms sleep (not the 1000 s the batch claims), so none is in a bucket below 5 ms.
    assert.match(text, /^lab_consumer_processing_duration_seconds_bucket\{le="0.0025",consumer="t"\} 0$/m);
    assert.match(text, /^lab_consumer_processing_duration_seconds_bucket\{le="2.5",consumer="t"\} 2$/m);
  });

  test('with PARTITION_METRICS=off the counters carry the topic only', async () => {
    const metrics = new ConsumerMetrics({ name: 't', group: 'g', topic: 'orders', clientId: 't', groupProtocol: 'classic', assignmentStrategy: 'range' }, false);
    const processor = new MessageProcessor(metrics, createLogger('silent', {}), 0);
    processor.process({ partition: 1, offset: 0, value: lab(1) });
    processor.process({ partition: 2, offset: 0, value: lab(1) });
    const text = await metrics.registry.metrics();
    assert.match(text, /^lab_consumer_messages_processed_total\{topic="orders",consumer="t"\} 2$/m);
  });

  test('without simulated work, processing is synchronous: no promise per message', () => {
    const { processor } = harness();
    assert.equal(processor.process({ partition: 0, offset: 0, value: lab(1) }), undefined);
  });

  test('a bad message is counted every time but logged once per kind and partition; nothing is logged per message at info', async () => {
    const { lines, metrics, processor } = harness('info');
    for (let i = 0; i < 5; i++) await processor.process({ partition: 1, offset: i, value: Buffer.from('nope') });
    await processor.process({ partition: 2, offset: 0, value: Buffer.from('nope') });
    await processor.process({ partition: 2, offset: 1, value: null });
    for (let i = 2; i < 50; i++) await processor.process({ partition: 2, offset: i, value: lab(i) });
    assert.equal(await sample(metrics, 'lab_consumer_invalid_messages_total', { partition: '1', reason: 'not_json' }), 5);
    assert.deepEqual(lines.map((l) => [l.partition, l.reason]), [[1, 'not_json'], [2, 'not_json'], [2, 'empty']]);
    assert.ok(lines.every((l) => l.level === 'warn'));
  });

  test('at trace level every processed message is one audit line', async () => {
    const { lines, processor } = harness('trace');
    await processor.process({ partition: 4, offset: 10, value: lab(7) });
    assert.deepEqual(
      lines.map((l) => [l.msg, l.partition, l.offset, l.partitionSeq]),
      [['processed', 4, 10, 7]],
    );
  });
});
