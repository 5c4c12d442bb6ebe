import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { LabProducer, createTopic, uniqueName } from '../support/kafka';
import { allProcessed, waitForOwnership } from '../support/group';
import { waitFor } from '../support/wait';

const PARTITIONS = 6;

describe('static membership (KIP-345)', () => {
  const running = endedAfterSuite();

  test('a replica restarted within the session timeout gets its own partitions back, and the others see no revocation', async (t) => {
    const topic = uniqueName('static');
    await createTopic(topic, PARTITIONS);
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '0', STATIC_MEMBERSHIP: 'on', SESSION_TIMEOUT_MS: '20000' };
    const a = await ConsumerProcess.start('static-a', env);
    const b = await ConsumerProcess.start('static-b', env);
    running.push(a, b);
    const before = await waitForOwnership([a, b], PARTITIONS);
    const bMark = b.lines.length;

    a.signal('SIGTERM');
    await a.exit();
    const restartedAt = Date.now();
    const a2 = await ConsumerProcess.start('static-a', env);
    running.push(a2);
    await waitFor(async () => JSON.stringify(await a2.owned()) === JSON.stringify(before.get('static-a')), {
      timeoutMs: 20_000,
      what: 'the restarted replica to own its old partitions',
    });
    t.diagnostic(`restarted static member had its partitions back ${Date.now() - restartedAt} ms after starting`);

    assert.deepEqual(b.lines.slice(bMark).filter((l) => l.event === 'revoke' || l.event === 'lost'), [], 'b saw no revocation');
    assert.deepEqual(await b.owned(), before.get('static-b'), 'b kept exactly its partitions');

    const producer = await LabProducer.connect(topic);
    t.after(() => producer.close());
    await producer.produce(PARTITIONS, 10);
    await allProcessed([a2, b], producer.produced());
    await producer.close();
  });

  test('two replicas with the same static id: the fenced one says why, clearly, and exits 3', async () => {
    const topic = uniqueName('static-dup');
    await createTopic(topic, 2);
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '0', STATIC_MEMBERSHIP: 'on', LOG_LEVEL: 'info' };
    const first = await ConsumerProcess.start('twin', env);
    running.push(first);
    await first.waitReady();
    const second = await ConsumerProcess.start('twin', env);
    running.push(second);

    const fenced = await waitFor(() => [first, second].find((c) => c.exitCode !== null), { timeoutMs: 30_000, what: 'one twin to stop' });
    assert.equal(fenced.exitCode, 3);
    const line = fenced.lines.find((l) => l.level === 'fatal');
    assert.ok(line, 'a fatal log line');
    assert.match(line.msg, /another consumer joined group .* with the same group\.instance\.id "twin" and fenced this one/);
    assert.match(String(line.librdkafka), /fenced/i, "librdkafka's own reason is in the line");
    assert.match(line.msg, /give every replica its own CONSUMER_NAME/);
    const survivor = fenced === first ? second : first;
    assert.equal(survivor.exitCode, null, 'the other keeps running');
    assert.equal(await survivor.readyz(), 200);
  });

  test('under KIP-848 a static replica restarted before its session expired is refused; it says why and exits 3', async () => {
    const topic = uniqueName('static-848');
    await createTopic(topic, 2);
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '0', STATIC_MEMBERSHIP: 'on', GROUP_PROTOCOL: 'consumer', LOG_LEVEL: 'info' };
    const first = await ConsumerProcess.start('s848', env);
    running.push(first);
    await first.waitReady();
    first.signal('SIGKILL');
    await first.exit();
    const again = await ConsumerProcess.start('s848', env);
    running.push(again);
    await again.exit(20_000);
    assert.equal(again.exitCode, 3);
    const line = again.lines.find((l) => l.level === 'fatal')!;
    assert.match(String(line.librdkafka), /instance ID is still used by another member/);
    assert.match(line.msg, /restarted before the broker released its previous session/);
  });
});
