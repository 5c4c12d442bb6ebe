import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, metricSum, endedAfterSuite } from '../support/consumer-process';
import { LabProducer, committedOffsets, createTopic, endOffsets, uniqueName } from '../support/kafka';
import { allProcessed, duplicates, waitForOwnership } from '../support/group';
import { waitFor } from '../support/wait';

const PARTITIONS = 6;

function processedTotal(metrics: string): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith('lab_consumer_messages_processed_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('when a consumer leaves the group, the others take over its partitions', () => {
  const running = endedAfterSuite();

  test('after SIGTERM its partitions move within 3 s and every message is processed exactly once', async (t) => {
    const topic = uniqueName('sigterm');
    await createTopic(topic, PARTITIONS);
    // 10 ms per message and a backlog of 1,800: both members are busy for seconds, as in the lab
    // when the rate exceeds what they can do. The rebalance must still be served at once.
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '10' };
    const a = await ConsumerProcess.start('a', env);
    const b = await ConsumerProcess.start('b', env);
    running.push(a, b);
    await waitForOwnership([a, b], PARTITIONS);

    const producer = await LabProducer.connect(topic);
    t.after(() => producer.close());
    await producer.produce(PARTITIONS, 300);
    // Stop `a` while it is busy, so there is a message in flight to finish and offsets to commit.
    await waitFor(() => a.processed().length >= 50, { what: 'a to be busy' });

    const stoppedAt = Date.now();
    a.signal('SIGTERM');
    await waitFor(async () => (await b.owned())?.length === PARTITIONS, { timeoutMs: 10_000, what: 'b to own every partition' });
    const reassignMs = Date.now() - stoppedAt;
    await a.exit();
    assert.equal(a.exitCode, 0, 'graceful stop exits 0');
    t.diagnostic(`SIGTERM -> all partitions reassigned in ${reassignMs} ms`);
    assert.ok(reassignMs < 3000, `reassigned in ${reassignMs} ms, expected under 3000`);

    await producer.produce(PARTITIONS, 50);
    const seen = await allProcessed([a, b], producer.produced(), 120_000);
    assert.equal(duplicates(seen), 0, 'a graceful stop commits what it processed: nothing is delivered twice');
    assert.ok(a.lines.some((l) => l.msg === 'consumer stopped'), 'a logs its stop');
    await producer.close();
  });

  test('after SIGKILL its partitions move after the session timeout; nothing is lost and the duplicates show in the metrics', async (t) => {
    const topic = uniqueName('sigkill');
    await createTopic(topic, PARTITIONS);
    const group = uniqueName('g');
    const sessionTimeoutMs = 6000;
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '10', SESSION_TIMEOUT_MS: String(sessionTimeoutMs), HEARTBEAT_INTERVAL_MS: '1000' };
    // The victim never commits on its own timer, so what it processes before the kill is certain
    // to be delivered again to its successor: the duplicates at-least-once allows.
    const a = await ConsumerProcess.start('a', { ...env, AUTO_COMMIT_INTERVAL_MS: '600000' });
    const b = await ConsumerProcess.start('b', env);
    running.push(a, b);
    const before = await waitForOwnership([a, b], PARTITIONS);

    const producer = await LabProducer.connect(topic);
    t.after(() => producer.close());
    await producer.produce(PARTITIONS, 100);
    await waitFor(() => a.processed().length >= 60, { what: 'a to be busy' });

    const aLastScrape = processedTotal(await a.metrics());
    const killedAt = Date.now();
    a.signal('SIGKILL');
    await waitFor(async () => (await b.owned())?.length === PARTITIONS, { timeoutMs: sessionTimeoutMs + 10_000, what: 'b to own every partition' });
    const reassignMs = Date.now() - killedAt;
    t.diagnostic(`SIGKILL -> all partitions reassigned in ${reassignMs} ms (session timeout ${sessionTimeoutMs} ms)`);
    assert.ok(reassignMs <= sessionTimeoutMs + 5000, `reassigned in ${reassignMs} ms, expected within session timeout + 5 s`);

    await producer.produce(PARTITIONS, 20);
    const seen = await allProcessed([a, b], producer.produced());
    const dupes = duplicates(seen);
    t.diagnostic(`duplicates after the kill: ${dupes} (messages a processed but had not committed)`);
    assert.ok(dupes > 0, 'what the killed consumer processed but had not committed is delivered again');

    // Group-wide, the metrics show them too: processed across both consumers exceeds produced.
    // a's counter is the value scraped just before the kill, so this can only undercount.
    const produced = [...producer.produced().values()].reduce((x, y) => x + y, 0);
    await waitFor(async () => processedTotal(await b.metrics()) + aLastScrape - produced > 0, { what: 'duplicates visible in processed - produced' });
    const fromMetrics = processedTotal(await b.metrics()) + aLastScrape - produced;
    t.diagnostic(`duplicates seen in the metrics (sum processed - produced): ${fromMetrics}`);
    assert.ok(fromMetrics <= dupes, 'the metrics never show more duplicates than there were');

    // And the group's committed offsets reach the end: nothing is left behind.
    const end = await endOffsets(topic, PARTITIONS);
    await waitFor(async () => {
      const committed = await committedOffsets(group, topic, PARTITIONS);
      return [...end].every(([p, hi]) => committed.get(p) === hi);
    }, { what: 'committed offsets to reach the end of every partition' });
    assert.equal(metricSum(await b.metrics(), 'lab_consumer_sequence_gaps_total'), 0, 'no gap on any partition');
    assert.ok(before.get('a')!.length > 0);
    await producer.close();
  });
});
