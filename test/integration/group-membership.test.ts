import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freePort, openForwarder } from '../support/broker';
import { ConsumerProcess, metricValue, endedAfterSuite } from '../support/consumer-process';
import { LabProducer, brokers, createTopic, uniqueName } from '../support/kafka';
import { allProcessed, ownership, waitForOwnership } from '../support/group';
import { waitFor } from '../support/wait';

describe('consumers in one group share the partitions', () => {
  const running = endedAfterSuite();

  test('two consumers split the partitions, each processes only its own, and a third joining keeps the split exact', async (t) => {
    const topic = uniqueName('split');
    const group = uniqueName('g');
    const partitions = 6;
    await createTopic(topic, partitions);
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '0' };
    const a = await ConsumerProcess.start('a', env);
    const b = await ConsumerProcess.start('b', env);
    running.push(a, b);

    const two = await waitForOwnership([a, b], partitions);
    assert.equal(two.get('a')!.length + two.get('b')!.length, partitions);
    assert.ok(two.get('a')!.length > 0 && two.get('b')!.length > 0, 'both consumers own partitions');

    const producer = await LabProducer.connect(topic);
    t.after(() => producer.close());
    await producer.produce(partitions, 20);
    await allProcessed([a, b], producer.produced());

    for (const c of [a, b]) {
      const mine = new Set(two.get(c.name));
      const seen = new Set(c.processed().map((m) => m.partition));
      assert.deepEqual([...seen].sort(), [...mine].sort(), `${c.name} processed exactly the partitions it owns`);
      // Each one receives a subset: only its own partitions' messages, all of them.
      assert.equal(c.processed().length, mine.size * 20);
    }

    const c = await ConsumerProcess.start('c', env);
    running.push(c);
    const three = await waitForOwnership([a, b, c], partitions);
    for (const owned of three.values()) assert.equal(owned.length, 2, 'six partitions over three consumers: two each');

    await producer.produce(partitions, 10);
    await allProcessed([a, b, c], producer.produced());
    await producer.close();
  });

  test('with more consumers than partitions, the extra consumer is idle and says so in /status and the metrics', async (t) => {
    const topic = uniqueName('idle');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '0' };
    const consumers = await Promise.all(['x', 'y', 'z'].map((n) => ConsumerProcess.start(n, env)));
    running.push(...consumers);

    const owners = await waitForOwnership(consumers, 2, { allowIdle: true });
    const idle = consumers.filter((c) => owners.get(c.name)!.length === 0);
    assert.equal(idle.length, 1, 'exactly one of three consumers is idle');
    const status = await idle[0].status();
    assert.equal(status.idle, true);
    assert.equal(status.ready, true, 'an idle member is still a ready member of the group');
    assert.equal(metricValue(await idle[0].metrics(), 'lab_consumer_assigned_partitions'), 0);
    for (const c of consumers.filter((c) => c !== idle[0])) {
      assert.equal((await c.status()).idle, false);
      assert.equal(metricValue(await c.metrics(), 'lab_consumer_assigned_partitions'), 1);
    }
    assert.deepEqual(ownership(owners), new Map([[0, 1], [1, 1]]));

    // The member id the coordinator assigned is reported, and used as kafka-lag-exporter's consumer_id
    // (lag is known, and exported, once the group has committed something).
    const producer = await LabProducer.connect(topic);
    t.after(() => producer.close());
    await producer.produce(2, 3);
    await allProcessed(consumers, producer.produced());
    await producer.close();
    const owner = consumers.find((c) => c !== idle[0])!;
    const memberId = await waitFor(async () => (await owner.status()).memberId, { what: 'a member id in /status' });
    await waitFor(async () => (await owner.metrics()).includes(`consumer_id="${memberId}"`), { what: 'kafka_consumergroup_group_lag labelled with the member id' });
    assert.notEqual((await idle[0].status()).memberId, memberId, 'each member has its own id');
  });

  test('a consumer that could not reach Kafka at first handles each rebalance once when Kafka answers', async () => {
    // On Docker Swarm nothing waits for Kafka to be healthy: a consumer's first attempts fail.
    const topic = uniqueName('late');
    await createTopic(topic, 4);
    const port = await freePort();
    const c = await ConsumerProcess.start('c', { KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), LOG_LEVEL: 'info' });
    running.push(c);
    await waitFor(() => c.lines.some((l) => l.msg === 'cannot reach Kafka; retrying'), { timeoutMs: 30_000, what: 'a failed connect attempt' });
    const proxy = await openForwarder(port, brokers());
    try {
      await c.waitReady(60_000);
      await waitFor(async () => metricValue(await c.metrics(), 'lab_consumer_assigned_partitions') === 4, { what: 'all four partitions' });
      await new Promise((r) => setTimeout(r, 1000));
      const m = await c.metrics();
      assert.equal(metricValue(m, 'lab_consumer_rebalance_events_total', { type: 'assign' }), 1, 'one assignment, handled once');
      assert.equal(metricValue(m, 'lab_consumer_rebalance_events_total', { type: 'error' }) ?? 0, 0, 'no rebalance handled twice (ERR__CONFLICT)');
      assert.ok(!c.lines.some((l) => l.msg === 'rebalance handling failed'));
    } finally {
      await proxy.close();
    }
  });
});

