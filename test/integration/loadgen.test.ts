import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freePort, openForwarder } from '../support/broker';
import { ConsumerProcess, metricSum, metricValue, endedAfterSuite } from '../support/consumer-process';
import { brokers, createTopic, endOffsets, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

function perPartitionSequencesAreGapFree(c: ConsumerProcess): boolean {
  const byPartition = new Map<number, number[]>();
  for (const m of c.processed()) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.partitionSeq]);
  return [...byPartition.values()].every((seqs) => seqs.every((s, i) => s === i + 1));
}

describe('the load generator', () => {
  const running = endedAfterSuite();

  test('creates the topic, produces gap-free sequences on every partition, and changes rate and partitions while running', async () => {
    const topic = uniqueName('lg');
    const gen = await ConsumerProcess.start('gen', { KAFKA_TOPIC: topic, TOPIC_PARTITIONS: '4', RATE: '100', LOG_LEVEL: 'info' }, 'loadgen');
    const consumer = await ConsumerProcess.start('c', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '0' });
    running.push(gen, consumer);
    await gen.waitReady();
    // /readyz can answer before the log line that precedes it has been read from the child's stdout.
    await waitFor(() => gen.lines.some((l) => l.msg === 'topic ready' && l.partitions === 4 && l.created === true), { timeoutMs: 5_000, what: 'the topic ready line' });

    assert.deepEqual((await gen.http('GET', '/rate')).body, { rate: 100 });
    assert.deepEqual((await gen.http('PUT', '/rate', '250')).body, { rate: 250 });
    assert.deepEqual((await gen.http('GET', '/rate')).body, { rate: 250 });
    assert.deepEqual((await gen.http('PUT', '/rate', '{"rate": 300}')).body, { rate: 300 });
    const bad = await gen.http('PUT', '/rate', 'fast');
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /from 0 to at most 5000 messages per second \(MAX_RATE/);
    assert.equal(metricValue(await gen.metrics(), 'lab_producer_target_rate'), 300);

    await waitFor(async () => {
      const m = await gen.metrics();
      return [0, 1, 2, 3].every((p) => (metricValue(m, 'lab_producer_messages_total', { partition: String(p) }) ?? 0) > 20);
    }, { what: 'messages on all four partitions' });
    await waitFor(() => consumer.processed().length > 200, { what: 'the consumer to process load-generator messages' });
    assert.ok(perPartitionSequencesAreGapFree(consumer), 'each partition carries 1, 2, 3, ... with nothing missing');

    // The lab exercise: add partitions while everything runs; the group picks them up.
    assert.equal((await gen.http('PUT', '/partitions', '3')).status, 409, 'partitions cannot shrink');
    assert.deepEqual((await gen.http('PUT', '/partitions', '6')).body, { partitions: 6 });
    await waitFor(async () => (await consumer.owned())?.length === 6, { timeoutMs: 30_000, what: 'the consumer to be assigned the new partitions' });
    await waitFor(() => consumer.processed().some((m) => m.partition >= 4), { what: 'messages from a new partition' });
    assert.ok(perPartitionSequencesAreGapFree(consumer));
    assert.equal(metricSum(await consumer.metrics(), 'lab_consumer_sequence_gaps_total'), 0, 'no gap on any partition');
  });

  test('says clearly when the topic exists with fewer partitions than asked for', async () => {
    const topic = uniqueName('lg-few');
    await createTopic(topic, 2);
    const gen = await ConsumerProcess.start('gen', { KAFKA_TOPIC: topic, TOPIC_PARTITIONS: '8', RATE: '10', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(gen);
    await gen.waitReady();
    const warning = gen.lines.find((l) => l.level === 'warn' && /fewer than TOPIC_PARTITIONS=8/.test(l.msg));
    assert.ok(warning, 'a warning naming the topic, its partitions and TOPIC_PARTITIONS');
    assert.match(warning.msg, /already exists with 2 partitions/);
    assert.deepEqual((await gen.http('GET', '/partitions')).body, { partitions: 2 });
    gen.signal('SIGTERM');
    await gen.exit();
    assert.equal(gen.exitCode, 0);
  });

  test('when Kafka answers only after a failed connect attempt, each delivered message is counted once', async () => {
    // On Docker Swarm nothing waits for Kafka to be healthy: the load generator's first attempts fail.
    // Nothing listens on `port` at first; after one failed attempt it forwards to the broker.
    const topic = uniqueName('lg-late');
    const port = await freePort();
    const gen = await ConsumerProcess.start('gen', { KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_TOPIC: topic, TOPIC_PARTITIONS: '2', RATE: '100', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(gen);
    await waitFor(() => gen.lines.some((l) => l.msg === 'cannot reach Kafka or create the topic; retrying'), { timeoutMs: 30_000, what: 'a failed connect attempt' });
    const proxy = await openForwarder(port, brokers());
    try {
      await gen.waitReady();
      const counted = async () => {
        const m = await gen.metrics();
        return (metricValue(m, 'lab_producer_messages_total', { partition: '0' }) ?? 0) + (metricValue(m, 'lab_producer_messages_total', { partition: '1' }) ?? 0);
      };
      await waitFor(async () => (await counted()) > 50, { what: 'messages produced' });
      await gen.http('PUT', '/rate', '0');
      const inKafka = async () => [...(await endOffsets(topic, 2)).values()].reduce((a, b) => a + b, 0);
      await waitFor(async () => (await counted()) === (await inKafka()) && (await inKafka()) > 0, { timeoutMs: 10_000, intervalMs: 500, what: 'the produced count to equal the messages in the topic' })
        .catch(async (err) => assert.fail(`counted ${await counted()} produced, the topic holds ${await inKafka()}: ${err}`));
    } finally {
      await proxy.close();
    }
  });
});

