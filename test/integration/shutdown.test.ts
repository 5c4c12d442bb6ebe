import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { LabProducer, createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

/**
 * A message whose simulated work outlasts the grace period: the consumer is then "in flight" at
 * the moment it is told to stop, which is what these tests need.
 */
async function busyConsumer(name: string): Promise<ConsumerProcess> {
  const topic = uniqueName('stop');
  await createTopic(topic, 1);
  const producer = await LabProducer.connect(topic);
  await producer.produce(1, 2);
  await producer.close();
  const c = await ConsumerProcess.start(name, { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '60000', LOG_LEVEL: 'info' });
  await c.waitReady();
  await waitFor(async () => (await c.status()).inFlight?.offset === 0, { what: 'the first message to be in flight' });
  return c;
}

describe('stopping', () => {
  const running = endedAfterSuite();

  test('a graceful stop that cannot finish in 10 s gives up at 10 s and exits 1, saying so', async (t) => {
    const c = await busyConsumer('slow');
    running.push(c);
    const started = Date.now();
    c.signal('SIGTERM');
    await c.exit(15_000);
    const took = Date.now() - started;
    t.diagnostic(`exited after ${took} ms`);
    assert.equal(c.exitCode, 1);
    assert.ok(took >= 9_500 && took < 12_000, `gave up after ${took} ms`);
    assert.ok(c.lines.some((l) => l.level === 'error' && l.msg === 'graceful stop took too long; exiting'));
  });

  test('a second signal exits at once', async () => {
    const c = await busyConsumer('impatient');
    running.push(c);
    c.signal('SIGTERM');
    await waitFor(() => c.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('stopping')), { what: 'the stop to begin' });
    const second = Date.now();
    c.signal('SIGINT');
    await c.exit(3_000);
    assert.ok(Date.now() - second < 2_000, 'exited within moments of the second signal');
    assert.equal(c.exitCode, 130);
    assert.ok(c.lines.some((l) => l.msg === 'second signal: exiting immediately'));
  });
});
