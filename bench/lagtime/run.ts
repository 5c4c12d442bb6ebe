/**
 * `npm run bench:lagtime`: the observer's lag in seconds (estimated from log-end offsets over time,
 * docs/time.md) against the truth, the time at which the producer produced the record at each
 * committed offset, on a real broker, with the observer at its default poll interval.
 *
 * Phases, one consumer on 3 partitions:
 *   steady   60 msg/s, the consumer keeps up;
 *   bursty   nothing, then 600 messages at once, every 5 s (the consumer takes 5 ms per message,
 *            so each burst is a backlog that drains over seconds);
 *   stopped  60 msg/s and the consumer SIGSTOPped for 30 s, then SIGCONT and the drain.
 * Every poll the observer made is read from /groups; per partition the error is
 * |observer - truth| with truth = observedAt - producedAt(committed offset), 0 when caught up.
 * Goal (issue 20): median <= 5 % or <= 1 s, p99 <= 10 %. Also reported: the requests per second
 * the observer sent (lab_observer_kafka_requests_total) and those the other way (a fetch of the
 * record at the committed offset of every lagging partition on every poll) would have added.
 * BENCH_PHASE_S sets the length of each phase (default 30). Prints a table and writes
 * bench/results/lagtime-<date>.json and lagtime-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type Broker } from '../../test/support/broker';
import { ConsumerProcess } from '../../test/support/consumer-process';
import { createTopic, uniqueName } from '../../test/support/kafka';
import { TimedProducer } from '../../test/support/timed-producer';
import { waitFor } from '../../test/support/wait';

const PARTITIONS = 3;
const PHASE_S = Number(process.env.BENCH_PHASE_S ?? 30);
if (!Number.isInteger(PHASE_S) || PHASE_S < 5 || PHASE_S > 3600) {
  process.stderr.write(`BENCH_PHASE_S=${process.env.BENCH_PHASE_S} is not accepted: expected whole seconds from 5 to 3600 (default 30)\n`);
  process.exit(2);
}
const PHASE_MS = PHASE_S * 1000;
const INTERVAL_MS = 1000;

interface Poll {
  at: number;
  partitions: { partition: number; committed: number | null; end: number | null; lagSeconds: number | null }[];
  maxLagSeconds: number | null;
}

interface Point {
  phase: string;
  at: number;
  partition: number;
  estimate: number;
  truth: number;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** The observer's requests to the brokers so far: all of them, and its Fetch requests (only the timestamp reads fetch). */
async function requestsSent(observer: ConsumerProcess): Promise<{ all: number; fetch: number }> {
  const text = await observer.metrics();
  const n = { all: 0, fetch: 0 };
  for (const line of text.split('\n')) {
    if (!line.startsWith('lab_observer_kafka_requests_total{')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    n.all += v;
    if (line.includes('request="Fetch"')) n.fetch += v;
  }
  return n;
}

async function main(): Promise<void> {
  let broker: Broker | null = null;
  if (!process.env.KAFKA_BROKERS) {
    broker = await startBroker();
    process.env.KAFKA_BROKERS = broker.bootstrap;
  }
  const topic = uniqueName('bench-lagtime');
  const group = uniqueName('g');
  const points: Point[] = [];
  const lagging: { phase: string; partitions: number }[] = [];
  let requests = { first: { all: 0, fetch: 0 }, last: { all: 0, fetch: 0 }, from: 0, to: 0 };
  const procs: ConsumerProcess[] = [];
  let producer: TimedProducer | null = null;
  try {
    await createTopic(topic, PARTITIONS);
    producer = await TimedProducer.connect(topic, PARTITIONS);
    const truth = producer;
    const observer = await ConsumerProcess.start('observer', { KAFKA_TOPIC: topic, OBSERVER_GROUPS: group, OBSERVER_INTERVAL_MS: String(INTERVAL_MS), LOG_LEVEL: 'info' }, 'observer');
    procs.push(observer);
    const consumer = await ConsumerProcess.start('lab-consumer-1', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '5', LOG_LEVEL: 'info' });
    procs.push(consumer);
    producer.setRate(60);
    await consumer.waitReady(60_000);

    let phase = 'warm-up';
    let lastAt = 0;
    let warmLag: number | null = null;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const doc = (await (await fetch(`http://127.0.0.1:${observer.port}/groups`)).json()) as { observedAt: string | null; up: boolean; groups: ({ group: string } & Poll)[] };
          const g = doc.groups.find((x) => x.group === group);
          const at = doc.observedAt ? Date.parse(doc.observedAt) : 0;
          if (g && doc.up && at !== lastAt) {
            lastAt = at;
            let behind = 0;
            for (const p of g.partitions) {
              if (p.committed === null || p.end === null || p.lagSeconds === null) continue;
              if (p.committed < p.end) behind++;
              const t = truth.truth(p.partition, p.committed, p.end, at);
              if (t !== null && phase !== 'warm-up') points.push({ phase, at, partition: p.partition, estimate: p.lagSeconds, truth: t });
            }
            if (phase !== 'warm-up') lagging.push({ phase, partitions: behind });
            else warmLag = g.maxLagSeconds;
          }
        } catch {
          // The observer is starting; the next read will do.
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // Warm-up: the consumer has caught up with what was produced before it joined, and the
    // observer's history reaches back past the committed offsets it will date.
    await waitFor(() => lastAt > 0, { timeoutMs: 60_000, what: 'the observer to see the group' });
    await waitFor(() => warmLag !== null && warmLag < 2, { timeoutMs: 60_000, what: 'the consumer to catch up' });
    await new Promise((r) => setTimeout(r, 5000));
    requests = { first: await requestsSent(observer), last: { all: 0, fetch: 0 }, from: Date.now(), to: 0 };

    phase = 'steady';
    process.stderr.write('# steady\n');
    await new Promise((r) => setTimeout(r, PHASE_MS));

    phase = 'bursty';
    process.stderr.write('# bursty\n');
    producer.setRate(0);
    const burstEnd = Date.now() + PHASE_MS;
    while (Date.now() < burstEnd) {
      producer.burst(600);
      await new Promise((r) => setTimeout(r, 5000));
    }

    phase = 'stopped';
    process.stderr.write('# stopped\n');
    producer.setRate(60);
    consumer.signal('SIGSTOP');
    await new Promise((r) => setTimeout(r, PHASE_MS));
    consumer.signal('SIGCONT');
    phase = 'drain';
    process.stderr.write('# drain\n');
    await new Promise((r) => setTimeout(r, Math.min(PHASE_MS, 20_000)));
    // Statistics reach the observer every 5 s; wait for one more batch before the last count.
    await new Promise((r) => setTimeout(r, 5500));
    requests.last = await requestsSent(observer);
    requests.to = Date.now();
    sampling = false;
    await sampler;
  } finally {
    await Promise.all(procs.map((c) => c.kill()));
    await producer?.close();
    await broker?.stop();
  }

  const rows = ['steady', 'bursty', 'stopped', 'drain', 'all'].map((phase) => {
    const ps = points.filter((p) => phase === 'all' || p.phase === phase);
    const abs = ps.map((p) => Math.abs(p.estimate - p.truth));
    const rel = ps.filter((p) => p.truth >= 1).map((p) => Math.abs(p.estimate - p.truth) / p.truth);
    const withinGoal = ps.filter((p) => Math.abs(p.estimate - p.truth) <= 1 || Math.abs(p.estimate - p.truth) <= 0.05 * p.truth).length;
    const lag = lagging.filter((l) => phase === 'all' || l.phase === phase);
    return {
      phase,
      samples: ps.length,
      truthMedianS: quantile(ps.map((p) => p.truth), 0.5),
      truthMaxS: Math.max(0, ...ps.map((p) => p.truth)),
      absMedianS: quantile(abs, 0.5),
      absP99S: quantile(abs, 0.99),
      relMedian: quantile(rel, 0.5),
      relP99: quantile(rel, 0.99),
      withinGoal: ps.length === 0 ? NaN : withinGoal / ps.length,
      // Reading the record at every lagging committed offset instead: one Fetch per lagging partition per poll.
      fetchPerSecondOtherWay: lag.length === 0 ? 0 : lag.reduce((n, l) => n + l.partitions, 0) / lag.length / (INTERVAL_MS / 1000),
    };
  });
  const seconds = (requests.to - requests.from) / 1000;
  const observerRequestsPerSecond = (requests.last.all - requests.first.all) / seconds;
  const timestampFetchesPerSecond = (requests.last.fetch - requests.first.fetch) / seconds;
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');
  const head = ['phase', 'samples', 'truth median s', 'truth max s', 'error median s', 'error p99 s', 'rel. error median', 'rel. error p99', 'within goal', 'fetch req/s (every lagging partition)'];
  const body = rows.map((r) => [r.phase, String(r.samples), f(r.truthMedianS, 2), f(r.truthMaxS, 2), f(r.absMedianS), f(r.absP99S), pct(r.relMedian), pct(r.relP99), pct(r.withinGoal), f(r.fetchPerSecondOtherWay, 2)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
  process.stdout.write(
    `${[line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n')}\n\n` +
      `observer: ${f(observerRequestsPerSecond, 2)} requests/s to the broker in all (poll every ${INTERVAL_MS} ms), of which ${f(timestampFetchesPerSecond, 2)} Fetch/s read record timestamps for lag in seconds\n` +
      `relative errors over samples whose truth is >= 1 s; "within goal": error <= 1 s or <= 5 % of the truth\nmachine: ${machine}\n`,
  );
  const dir = path.resolve(__dirname, '../../../bench/results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ date: new Date().toISOString(), machine, partitions: PARTITIONS, phaseMs: PHASE_MS, observerIntervalMs: INTERVAL_MS, observerRequestsPerSecond, timestampFetchesPerSecond, rows, points }, null, 2);
  writeFileSync(path.join(dir, `lagtime-${new Date().toISOString().slice(0, 10)}.json`), json + '\n');
  writeFileSync(path.join(dir, 'lagtime-latest.json'), json + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
