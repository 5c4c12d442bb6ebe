import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite, metricValue } from '../support/consumer-process';
import { createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

const PARTITIONS = 12;
const LATENCY = 'lab_consumer_end_to_end_latency_seconds';

describe('at a workshop rate (20 messages/s) with no simulated work', () => {
  const running = endedAfterSuite();

  test('99 % of messages are processed within 100 ms of being produced, and SIGTERM exits 0 within a second', async (t) => {
    const topic = uniqueName('workshop');
    await createTopic(topic, PARTITIONS);
    const c = await ConsumerProcess.start('c', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '0', LOG_LEVEL: 'info' });
    running.push(c);
    // Consumer first, so that every message it sees is produced while it already owns the partitions.
    await waitFor(async () => (await c.owned())?.length === PARTITIONS, { what: 'the consumer to own every partition' });
    const gen = await ConsumerProcess.start('gen', { KAFKA_TOPIC: topic, TOPIC_PARTITIONS: String(PARTITIONS), RATE: '20', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(gen);

    // The load generator's first messages wait for its own connection to Kafka; measure from
    // the 20th message on, when both sides are steady.
    const snapshot = async (atLeast: number) =>
      waitFor(
        async () => {
          const m = await c.metrics();
          const count = metricValue(m, `${LATENCY}_count`) ?? 0;
          if (count < atLeast) return null;
          const within = (le: string) => metricValue(m, `${LATENCY}_bucket`, { le })!;
          return { count, le10: within('0.01'), le25: within('0.025'), le50: within('0.05'), le100: within('0.1') };
        },
        { timeoutMs: 30_000, what: `${atLeast} messages processed` },
      );
    const warm = await snapshot(20);
    const end = await snapshot(warm.count + 150);
    const d = (k: keyof typeof end) => end[k] - warm[k];
    t.diagnostic(`${d('count')} messages: ${d('le10')} within 10 ms, ${d('le25')} within 25 ms, ${d('le50')} within 50 ms, ${d('le100')} within 100 ms`);
    assert.ok(d('le100') >= 0.99 * d('count'), `${d('count') - d('le100')} of ${d('count')} messages took over 100 ms from production to processing`);

    // Messages keep arriving while it stops: the stop must not wait for a batch to fill.
    const started = Date.now();
    c.signal('SIGTERM');
    await c.exit(15_000);
    const took = Date.now() - started;
    t.diagnostic(`SIGTERM at 20 msg/s: exit ${c.exitCode} after ${took} ms`);
    assert.equal(c.exitCode, 0);
    assert.ok(took < 1000, `exited after ${took} ms`);
  });
});
