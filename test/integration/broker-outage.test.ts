import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startBroker, type Broker } from '../support/broker';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { allProcessed, waitForOwnership } from '../support/group';
import { LabProducer, createTopic, uniqueName } from '../support/kafka';
import { EventLoopWatch, LatencyProbe, MachineNoise, allowanceMs } from '../support/probe';
import { waitFor } from '../support/wait';

const PARTITIONS = 4;

/**
 * SIGTERM, then exit 0 within what docs/design.md promises for that state, plus the machine's own
 * stall over the same time (the test process's event-loop delay).
 */
async function assertCleanStopWithin(promisedMs: number, c: ConsumerProcess, t: TestContext): Promise<void> {
  const noise = new MachineNoise();
  const started = Date.now();
  c.signal('SIGTERM');
  await c.exit(15_000);
  const took = Date.now() - started;
  const bound = allowanceMs(promisedMs, noise.stop());
  t.diagnostic(`exit ${c.exitCode} after ${took} ms (bound ${bound} ms)`);
  assert.equal(c.exitCode, 0);
  assert.ok(took < bound, `exited after ${took} ms (bound ${bound} ms)`);
}
// docs/design.md: with no broker reachable it "exits 0 at once" (read as within a second: no request is
// made, only the process's own shutdown), and a stop while connecting lets the attempt end (3 s at
// most) and "exits 0 within about 3 s" ("about": one more second, as everywhere in these tests).
const NO_BROKER_STOP_MS = 1000;
const CONNECTING_STOP_MS = 4000;
// Short enough for the member to lose its assignment during the outage, as in production.
const SESSION_TIMEOUT_MS = 6000;
// The reproduction in issue 10: a broker restart of 15 s against a 6 s session.
const OUTAGE_MS = 15_000;

/**
 * These tests stop and restart the broker, so they run their own instead of the shared one.
 */
describe('when the broker goes down and comes back', () => {
  let broker: Broker;
  const running = endedAfterSuite();
  // Closed when the suite ends, whatever failed: an open producer keeps the test process alive.
  const producers: LabProducer[] = [];

  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await Promise.all(producers.map((p) => p.close()));
    await broker?.stop();
  });

  async function consumerWithWork(name: string, env: Record<string, string>): Promise<{ c: ConsumerProcess; producer: LabProducer; topic: string }> {
    const topic = uniqueName('outage');
    await createTopic(topic, PARTITIONS, broker.bootstrap);
    const producer = await LabProducer.connect(topic, broker.bootstrap);
    producers.push(producer);
    const c = await ConsumerProcess.start(name, { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '1', ...env });
    running.push(c);
    await waitFor(async () => (await c.owned())?.length === PARTITIONS, { what: `${name} to own every partition` }).catch((err) => {
      throw new Error(`${err}; exit ${c.exitCode}; stderr ${c.stderr.slice(0, 500)}; ${JSON.stringify(c.lines.filter((l) => l.level !== 'trace').slice(-5))}`);
    });
    await producer.produce(PARTITIONS, 50);
    await allProcessed([c], producer.produced());
    return { c, producer, topic };
  }

  test('/healthz answers within 100 ms throughout an outage longer than the session timeout, and nothing is lost', async (t) => {
    const { c, producer } = await consumerWithWork('steady', { SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), HEARTBEAT_INTERVAL_MS: '1000' });
    const probe = new LatencyProbe(`http://127.0.0.1:${c.port}/healthz`);
    const eventLoop = new EventLoopWatch(`http://127.0.0.1:${c.port}/metrics`);
    // This process's own event-loop delay over the same time: how busy the machine is.
    const machine = monitorEventLoopDelay({ resolution: 10 });
    machine.enable();
    try {
      await broker.halt();
      // The member notices it cannot reach the coordinator and gives up its partitions.
      await waitFor(async () => (await c.owned())?.length === 0, { timeoutMs: 30_000, what: 'the consumer to drop its partitions' });
      assert.equal(await c.readyz(), 503, 'not ready while the broker is down');
      await broker.restart();
      await waitFor(async () => (await c.owned())?.length === PARTITIONS, { timeoutMs: 60_000, what: 'the consumer to own every partition again' });
      await producer.produce(PARTITIONS, 20);
      await allProcessed([c], producer.produced());
    } finally {
      const { worstMs, p99Ms, calls, failures } = await probe.stop();
      const stallMs = await eventLoop.stop();
      machine.disable();
      const noiseMs = Math.round(machine.max / 1e6);
      await producer.close();
      t.diagnostic(`/healthz: ${calls} calls through the outage, p99 ${p99Ms} ms, slowest ${worstMs} ms, ${failures} failed; longest stall of the consumer's event loop ${stallMs} ms (of the test's own: ${noiseMs} ms)`);
      assert.equal(failures, 0, '/healthz always answered 200');
      // What the consumer controls: its JavaScript thread is never blocked long enough to miss a
      // 100 ms probe, and the probe's round trip stays within 100 ms at p99 and within a
      // Kubernetes liveness probe's default 1 s timeout at worst. Both are also delayed by how
      // busy the machine is (the broker restarting beside it, other test runs): on a machine
      // where this very process stalls too, the bound grows by that stall.
      const bound = 100 + Math.max(0, noiseMs - 50);
      assert.ok(stallMs < bound, `the consumer's event loop stalled for ${stallMs} ms (bound ${bound} ms)`);
      assert.ok(p99Ms < bound, `/healthz p99 ${p99Ms} ms (bound ${bound} ms)`);
      assert.ok(worstMs < 1000, `/healthz took ${worstMs} ms at worst`);
    }
    assert.equal(c.exitCode, null, 'the consumer is still running');

    // Failed commits are reported, but not as a flood: one line per kind of failure and 10 s.
    const byKind = new Map<string, number[]>();
    for (const l of c.lines.filter((l) => l.msg.startsWith('offset commit failed'))) {
      const kind = String((l.err as { name?: string } | undefined)?.name);
      byKind.set(kind, [...(byKind.get(kind) ?? []), Date.parse(String(l.time))]);
    }
    t.diagnostic(`'offset commit failed' lines: ${[...byKind].map(([k, ts]) => `${k} x${ts.length}`).join(', ') || 'none'}`);
    for (const [kind, times] of byKind) {
      const closest = Math.min(...times.slice(1).map((at, i) => at - times[i]));
      assert.ok(times.length === 1 || closest >= 10_000, `${kind} logged ${times.length} times, two of them ${closest} ms apart`);
    }
  });

  test('a member whose session expires during an outage counts and logs its partitions as lost, not revoked', async () => {
    const { c, producer } = await consumerWithWork('loser', { SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), HEARTBEAT_INTERVAL_MS: '1000' });
    await producer.close();
    const mark = c.lines.length;
    await broker.halt();
    try {
      await waitFor(async () => (await c.owned())?.length === 0, { timeoutMs: 30_000, what: 'the consumer to drop its partitions' });
      const events = c.lines.slice(mark).filter((l) => l.event === 'lost' || l.event === 'revoke');
      assert.deepEqual(events.map((l) => [l.event, l.revoked]), [['lost', [0, 1, 2, 3]]]);
      assert.equal((await c.status()).rebalances.lost, 1);
      assert.match(await c.metrics(), /lab_consumer_rebalance_events_total\{type="lost"[^}]*\} 1/);
    } finally {
      await broker.restart();
    }
  });

  for (const protocol of ['classic', 'consumer'] as const) {
    test(`static members survive an outage longer than the session timeout: both rejoin and process everything (GROUP_PROTOCOL=${protocol})`, async (t) => {
      const topic = uniqueName('outage-static');
      await createTopic(topic, PARTITIONS, broker.bootstrap);
      const producer = await LabProducer.connect(topic, broker.bootstrap);
      producers.push(producer);
      const env: Record<string, string> = {
        KAFKA_BROKERS: broker.bootstrap,
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: uniqueName('g'),
        PROCESSING_MS: '1',
        STATIC_MEMBERSHIP: 'on',
      };
      // Under KIP-848 the broker's session (6 s in the test broker) applies.
      if (protocol === 'consumer') env.GROUP_PROTOCOL = 'consumer';
      else Object.assign(env, { SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), HEARTBEAT_INTERVAL_MS: '1000' });
      const a = await ConsumerProcess.start('static-a', env);
      const b = await ConsumerProcess.start('static-b', env);
      running.push(a, b);
      try {
        await waitForOwnership([a, b], PARTITIONS);
        await producer.produce(PARTITIONS, 50);
        await allProcessed([a, b], producer.produced());

        const haltedAt = Date.now();
        await broker.halt();
        // The outage outlasts the session timeout by a few seconds, as a broker restart does: the
        // members' sessions expire on their side, and the broker is back while they rejoin.
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        const outageMs = Date.now() - haltedAt;
        await broker.restart();
        const restartedAt = Date.now();
        await waitForOwnership([a, b], PARTITIONS, { timeoutMs: 60_000 }).catch((err) => {
          const fatal = [a, b].flatMap((c) => c.lines.filter((l) => l.level === 'fatal').map((l) => `${c.name}: ${String(l.librdkafka ?? l.msg)}`));
          throw new Error(`${(err as Error).message}; exit codes ${a.exitCode}, ${b.exitCode}; ${fatal.join('; ')}`);
        });
        t.diagnostic(`outage ${outageMs} ms (session timeout ${SESSION_TIMEOUT_MS} ms); both members own their partitions again ${Date.now() - restartedAt} ms after the broker restarted`);
        await producer.produce(PARTITIONS, 30);
        await allProcessed([a, b], producer.produced());
      } finally {
        await producer.close();
      }
      for (const c of [a, b]) {
        assert.equal(c.exitCode, null, `${c.name} is still running`);
        assert.deepEqual(c.lines.filter((l) => l.level === 'fatal'), [], `${c.name} logged nothing fatal`);
        // Through an ordinary outage librdkafka keeps its brokers (down, not dropped): the warning
        // about librdkafka issue #5301 must not fire, however long the broker is away.
        const stranded = c.lines.filter((l) => l.msg.startsWith('librdkafka has dropped every broker'));
        assert.deepEqual(stranded, [], `${c.name} did not report itself stranded after a ${OUTAGE_MS / 1000} s outage`);
      }
    });
  }

  for (const protocol of ['classic', 'consumer'] as const) {
    test(`SIGTERM while the broker is down exits 0 at once (GROUP_PROTOCOL=${protocol})`, async (t) => {
      const env: Record<string, string> = protocol === 'consumer' ? { GROUP_PROTOCOL: 'consumer' } : {};
      const { c, producer } = await consumerWithWork(`down-${protocol}`, env);
      await producer.close();
      await broker.halt();
      try {
        await waitFor(async () => (await c.readyz()) === 503, { timeoutMs: 15_000, what: 'the consumer to notice the broker is gone' });
        await assertCleanStopWithin(NO_BROKER_STOP_MS, c, t);
      } finally {
        await broker.restart();
      }
    });
  }

  test('SIGTERM while connecting to a broker that is down exits 0 within about 3 s (the connection attempt ends first)', async (t) => {
    await broker.halt();
    try {
      const c = await ConsumerProcess.start('never-connected', { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: uniqueName('t'), KAFKA_GROUP_ID: uniqueName('g') });
      running.push(c);
      await waitFor(async () => (await c.status()).state === 'connecting', { what: 'the consumer to be connecting' });
      await assertCleanStopWithin(CONNECTING_STOP_MS, c, t);
    } finally {
      await broker.restart();
    }
  });
});
