import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite, metricValue } from '../support/consumer-process';
import { createTopic, uniqueName } from '../support/kafka';
import { startObserver } from '../support/observer';
import { TimedProducer } from '../support/timed-producer';
import { waitFor } from '../support/wait';

const PARTITIONS = 3;

interface Sample {
  at: number;
  maxLagSeconds: number | null;
  partitions: { partition: number; committed: number | null; end: number | null; lagSeconds: number | null }[];
}

async function sample(observer: ConsumerProcess, group: string): Promise<Sample | null> {
  const doc = (await (await fetch(`http://127.0.0.1:${observer.port}/groups`)).json()) as {
    observedAt: string | null;
    groups: { group: string; maxLagSeconds: number | null; partitions: Sample['partitions'] }[];
  };
  const g = doc.groups.find((x) => x.group === group);
  return g && doc.observedAt ? { at: Date.parse(doc.observedAt), maxLagSeconds: g.maxLagSeconds, partitions: g.partitions } : null;
}

/** The largest difference between the observer's lag in seconds and the truth, over the partitions. */
function worstError(s: Sample, truth: TimedProducer): number {
  let worst = 0;
  for (const p of s.partitions) {
    if (p.committed === null || p.end === null || p.lagSeconds === null) continue;
    const t = truth.truth(p.partition, p.committed, p.end, s.at);
    if (t !== null) worst = Math.max(worst, Math.abs(p.lagSeconds - t));
  }
  return worst;
}

describe('lag in seconds, from the broker side, against the producer\'s own times', () => {
  const running = endedAfterSuite();

  test('caught up: about 0; consumer stopped: rises 1 s per s; resumed: back to about 0', async (t) => {
    const topic = uniqueName('lagtime');
    const group = uniqueName('g');
    await createTopic(topic, PARTITIONS);
    const producer = await TimedProducer.connect(topic, PARTITIONS);
    t.after(() => producer.close());
    producer.setRate(60);
    const observer = await startObserver({ KAFKA_TOPIC: topic, OBSERVER_GROUPS: group });
    const consumer = await ConsumerProcess.start('lab-consumer-1', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '0', LOG_LEVEL: 'info' });
    running.push(observer, consumer);

    // Caught up: the consumer commits once a second, so the broker's view trails by up to about that.
    const caughtUp = async (what: string) => {
      const seen: number[] = [];
      await waitFor(
        async () => {
          const s = await sample(observer, group);
          if (s?.maxLagSeconds == null) return false;
          seen.push(s.maxLagSeconds);
          return seen.length >= 8 && seen.slice(-8).every((x) => x < 2.5);
        },
        { timeoutMs: 60_000, intervalMs: 250, what },
      );
      return seen.slice(-8);
    };
    const before = await caughtUp('lag in seconds under 2.5 s for 2 s running (caught up)');
    t.diagnostic(`caught up: ${before.map((x) => x.toFixed(2)).join(' ')} s`);

    // Stopped: SIGSTOP keeps the member in the group (well within its session) but processes nothing.
    consumer.signal('SIGSTOP');
    await new Promise((r) => setTimeout(r, 1500));
    const stopped: Sample[] = [];
    const errors: number[] = [];
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      const s = await sample(observer, group);
      if (s && s.maxLagSeconds !== null && s.at !== stopped[stopped.length - 1]?.at) {
        stopped.push(s);
        errors.push(worstError(s, producer));
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    consumer.signal('SIGCONT');
    const lags = stopped.map((s) => s.maxLagSeconds!);
    t.diagnostic(`stopped: ${lags.map((x) => x.toFixed(2)).join(' ')} s; worst error against truth ${Math.max(...errors).toFixed(3)} s`);
    assert.ok(stopped.length >= 10, `only ${stopped.length} polls seen in 8 s`);
    for (let i = 1; i < lags.length; i++) assert.ok(lags[i]! >= lags[i - 1]!, `lag went down while the consumer was stopped: ${lags[i - 1]} -> ${lags[i]}`);
    const first = stopped[0]!;
    const last = stopped[stopped.length - 1]!;
    const slope = (last.maxLagSeconds! - first.maxLagSeconds!) / ((last.at - first.at) / 1000);
    assert.ok(slope > 0.9 && slope < 1.1, `rises ${slope.toFixed(3)} s per s`);
    assert.ok(Math.max(...errors) < 1, `error against the producer's times up to ${Math.max(...errors)} s`);

    // The series Prometheus scrapes carry the same figure.
    const text = await (await fetch(`http://127.0.0.1:${observer.port}/metrics`)).text();
    assert.ok((metricValue(text, 'kafka_consumergroup_group_max_lag_seconds', { group }) ?? -1) > 5);
    assert.notEqual(metricValue(text, 'kafka_consumergroup_group_lag_seconds', { group, partition: '0' }), null);

    const after = await caughtUp('lag in seconds back under 2.5 s after SIGCONT');
    t.diagnostic(`resumed: ${after.map((x) => x.toFixed(2)).join(' ')} s`);
  });
  test('a burst after a quiet stretch: dated by the records\' own timestamps, not spread over the poll interval', async (t) => {
    // The observer polls once a second, as it does by default: the end offsets place a burst
    // only somewhere within that second. The record at the committed offset is then read for its
    // own timestamp.
    const topic = uniqueName('lagtime-burst');
    const group = uniqueName('g');
    await createTopic(topic, PARTITIONS);
    const producer = await TimedProducer.connect(topic, PARTITIONS);
    t.after(() => producer.close());
    const observer = await startObserver({ KAFKA_TOPIC: topic, OBSERVER_GROUPS: group, OBSERVER_INTERVAL_MS: '1000' });
    // About 100 records a second: a burst of 600 takes 6 s to drain.
    const consumer = await ConsumerProcess.start('lab-consumer-1', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '10', LOG_LEVEL: 'info' });
    running.push(observer, consumer);
    producer.burst(30);
    await waitFor(async () => (await sample(observer, group))?.maxLagSeconds === 0, { timeoutMs: 60_000, intervalMs: 250, what: 'the group caught up with its first records' });

    const errors: number[] = [];
    for (let burst = 0; burst < 3; burst++) {
      await new Promise((r) => setTimeout(r, 2500));
      producer.burst(600);
      let last = 0;
      const until = Date.now() + 7000;
      while (Date.now() < until) {
        const s = await sample(observer, group);
        if (s && s.at !== last && (s.maxLagSeconds ?? 0) > 0) {
          last = s.at;
          errors.push(worstError(s, producer));
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const sorted = [...errors].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    t.diagnostic(`errors against the producer's times over ${errors.length} polls while lagging: median ${median.toFixed(3)} s, worst ${sorted.at(-1)!.toFixed(3)} s`);
    assert.ok(errors.length >= 6, `only ${errors.length} polls saw the group lagging`);
    // Spread over the second, the error was 0.19-0.28 s in the median (bench:lagtime, bursty).
    assert.ok(median < 0.1, `median error ${median.toFixed(3)} s: ${sorted.map((e) => e.toFixed(2)).join(' ')}`);
    // What it cost: the Fetch requests of the timestamp reads, counted with the observer's others.
    await waitFor(async () => (metricValue(await (await fetch(`http://127.0.0.1:${observer.port}/metrics`)).text(), 'lab_observer_kafka_requests_total', { request: 'Fetch' }) ?? 0) > 0, {
      timeoutMs: 15_000,
      what: "the timestamp reads' Fetch requests in lab_observer_kafka_requests_total",
    });
  });
});
