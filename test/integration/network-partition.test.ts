import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_KEYS, freePort, openSilenceableProxy, startBroker, type Broker, type SilenceableProxy } from '../support/broker';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { allProcessed } from '../support/group';
import { LabProducer, createTopic, uniqueName } from '../support/kafka';
import { MachineNoise, allowanceMs } from '../support/probe';
import { waitFor } from '../support/wait';

const PARTITIONS = 4;

/**
 * A network that goes silent (no reset, nothing arrives: a laptop leaving the Wi-Fi, a firewall
 * dropping packets) rather than a broker that stops: every connection to the broker goes through
 * a proxy that can stop carrying bytes. librdkafka's close waits for the coordinator with no
 * bound of its own, and Node cannot exit while it does.
 */
describe('when the network to the broker goes silent', () => {
  let broker: Broker;
  let proxy: SilenceableProxy;
  const running = endedAfterSuite();

  before(async () => {
    const port = await freePort();
    broker = await startBroker({ advertisedPort: port });
    proxy = await openSilenceableProxy(port, broker.listenAddress);
  });
  after(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  /** A consumer that owns every partition and has processed (not yet committed) some messages. */
  async function busyConsumer(name: string, protocol: 'classic' | 'consumer'): Promise<ConsumerProcess> {
    proxy.restore();
    const topic = uniqueName('silent');
    await createTopic(topic, PARTITIONS, broker.bootstrap);
    const producer = await LabProducer.connect(topic, broker.bootstrap);
    // No background commit during the test: the final commit is the stop's own.
    const env: Record<string, string> = { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '1', AUTO_COMMIT_INTERVAL_MS: '600000' };
    if (protocol === 'consumer') env.GROUP_PROTOCOL = 'consumer';
    const c = await ConsumerProcess.start(name, env);
    running.push(c);
    try {
      await waitFor(async () => (await c.owned())?.length === PARTITIONS, { what: `${name} to own every partition` });
      await producer.produce(PARTITIONS, 20);
      await allProcessed([c], producer.produced());
    } finally {
      await producer.close();
    }
    return c;
  }

  /** SIGTERM to exit, and the test process's own longest stall over that time (the machine's noise). */
  async function stopTimed(c: ConsumerProcess): Promise<{ took: number; noiseMs: number }> {
    const noise = new MachineNoise();
    const started = Date.now();
    c.signal('SIGTERM');
    await c.exit(30_000).catch(() => undefined);
    return { took: Date.now() - started, noiseMs: noise.stop() };
  }

  // docs/design.md: "exits 0 within about 2 s" (the metadata probe's 2 s, then the exit); "about" is
  // read as up to one more second. The load generator: its flush's 5 s deadline, then the exit.
  const SILENT_CONSUMER_STOP_MS = 3000;
  const SILENT_LOADGEN_STOP_MS = 6000;

  const notices = (c: ConsumerProcess) => c.lines.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.msg);

  test('the load generator: SIGTERM after the network went silent exits 0 at its 5 s flush deadline, saying how many messages it gave up', async (t) => {
    proxy.restore();
    const g = await ConsumerProcess.start('loadgen', { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: uniqueName('silent'), TOPIC_PARTITIONS: '2', RATE: '100', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(g);
    await waitFor(async () => (await g.readyz()) === 200, { what: 'the load generator to produce' });
    proxy.silence();
    // Messages keep being produced into librdkafka's queue, with nobody to take them.
    await new Promise((r) => setTimeout(r, 2000));
    const { took, noiseMs } = await stopTimed(g);
    const stopped = g.lines.find((l) => l.msg.startsWith('load generator stopped'));
    const bound = allowanceMs(SILENT_LOADGEN_STOP_MS, noiseMs);
    t.diagnostic(`exit ${g.exitCode ?? g.exitSignal} after ${took} ms (bound ${bound} ms; the test's own longest stall ${noiseMs} ms); ${JSON.stringify(stopped)}`);
    assert.equal(g.exitCode, 0);
    assert.ok(took < bound, `exited after ${took} ms (bound ${bound} ms)`);
    assert.ok(typeof stopped?.unacknowledged === 'number' && stopped.unacknowledged > 0, 'says how many messages Kafka never acknowledged');
  });

  for (const protocol of ['classic', 'consumer'] as const) {
    test(`SIGTERM after the network went silent exits 0 within about 2 s, saying Kafka is unreachable (GROUP_PROTOCOL=${protocol})`, async (t) => {
      const c = await busyConsumer(`silent-${protocol}`, protocol);
      proxy.silence();
      await new Promise((r) => setTimeout(r, 2000));
      const { took, noiseMs } = await stopTimed(c);
      const bound = allowanceMs(SILENT_CONSUMER_STOP_MS, noiseMs);
      t.diagnostic(`exit ${c.exitCode ?? c.exitSignal} after ${took} ms (bound ${bound} ms; the test's own longest stall ${noiseMs} ms); ${JSON.stringify(notices(c))}`);
      assert.equal(c.exitCode, 0);
      assert.ok(took < bound, `exited after ${took} ms (bound ${bound} ms)`);
      assert.ok(notices(c).some((m) => m.startsWith('Kafka is unreachable: stopping without the final commit')));
    });

    test(`a network that dies during the final commit ends the process at the 10 s deadline instead of hanging (GROUP_PROTOCOL=${protocol})`, async (t) => {
      const c = await busyConsumer(`cut-${protocol}`, protocol);
      // The stop's metadata check gets through; its commit, and everything after it, does not.
      proxy.silenceAtRequest(API_KEYS.OffsetCommit);
      const { took, noiseMs } = await stopTimed(c);
      const bound = allowanceMs(11_000, noiseMs);
      t.diagnostic(`exit ${c.exitCode ?? c.exitSignal} after ${took} ms (bound ${bound} ms; the test's own longest stall ${noiseMs} ms); ${JSON.stringify(notices(c))}`);
      assert.equal(c.exitSignal, 'SIGKILL', 'Node cannot exit while librdkafka waits; the process ends itself');
      assert.ok(took >= 10_000 && took < bound, `ended ${took} ms after SIGTERM (bound ${bound} ms)`);
      assert.ok(notices(c).includes('graceful stop took too long; exiting'));
      assert.ok(notices(c).some((m) => m.includes('waiting for a broker that does not answer')));
    });
  }
});
