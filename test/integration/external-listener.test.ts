import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { advertisedBrokers } from '../../src/loadgen/external-listener';
import { freePort, openForwarder, startBroker, type Broker } from '../support/broker';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

const PLAINTEXT = { protocol: 'plaintext', saslMechanism: 'PLAIN', saslUsername: '', saslPassword: '' } as const;
const verdict = (gen: ConsumerProcess) => gen.lines.find((l) => /external listener/.test(l.msg));

describe("the stack's warning when other machines would be sent to a loopback address", () => {
  const running = endedAfterSuite();

  test('a listener advertising 127.0.0.1 draws one warn line naming the address and KAFKA_EXTERNAL_HOST', async () => {
    // The shared test broker advertises 127.0.0.1, as the compose default KAFKA_EXTERNAL_HOST does.
    const gen = await ConsumerProcess.start('gen', { KAFKA_TOPIC: uniqueName('ext'), TOPIC_PARTITIONS: '1', RATE: '0', LOG_LEVEL: 'info', EXTERNAL_LISTENER: process.env.KAFKA_BROKERS! }, 'loadgen');
    running.push(gen);
    await waitFor(() => verdict(gen) !== undefined, { timeoutMs: 30_000, what: 'the external listener check' });
    const line = verdict(gen)!;
    assert.equal(line.level, 'warn');
    assert.match(line.msg, /advertises 127\.0\.0\.1:\d+, a loopback address/);
    assert.match(line.msg, /KAFKA_EXTERNAL_HOST/);
    assert.deepEqual(line.advertised, [process.env.KAFKA_BROKERS]);
  });

  describe('a listener advertising a LAN address', () => {
    let lan: Broker;
    after(async () => lan?.stop());

    test('is reported at info level, without a warning', async () => {
      lan = await startBroker({ advertisedHost: '203.0.113.7' });
      const gen = await ConsumerProcess.start('gen', { KAFKA_TOPIC: uniqueName('ext'), TOPIC_PARTITIONS: '1', RATE: '0', LOG_LEVEL: 'info', EXTERNAL_LISTENER: lan.listenAddress }, 'loadgen');
      running.push(gen);
      await waitFor(() => verdict(gen) !== undefined, { timeoutMs: 30_000, what: 'the external listener check' });
      const line = verdict(gen)!;
      assert.equal(line.level, 'info');
      assert.deepEqual(line.advertised, [lan.bootstrap]);
      assert.match(lan.bootstrap, /^203\.0\.113\.7:/);
    });

  });

  describe('a listener advertising an address that refuses connections', () => {
    let room: Broker;
    const closers: (() => Promise<void>)[] = [];
    after(async () => {
      for (const close of closers) await close();
      await room?.stop();
    });

    test('is read on every try', async () => {
      // The room's case: the laptop bootstraps through the instructor's LAN address and is told
      // 127.0.0.1:9094, where nothing listens on the laptop. librdkafka (since 2.10) drops the
      // bootstrap broker once the first metadata response names the real ones, so a metadata
      // request made after that waits for an address that refuses. The participant's join check
      // asks once: it lost that race in CI (exit 11 "did not answer as Kafka" instead of 12).
      room = await startBroker({ advertisedPort: await freePort() });
      // Through a forwarder, as the laptop reaches the instructor's Kafka through Docker's port
      // mapping: the race is lost more often that way (6 of 15 tries here, 1 of 12 without).
      const port = await freePort();
      const fwd = await openForwarder(port, room.listenAddress);
      closers.push(() => fwd.close());
      const answers: string[] = [];
      for (let i = 0; i < 6; i++) {
        try {
          const brokers = await advertisedBrokers(`127.0.0.1:${port}`, PLAINTEXT, `ext-${i}`, 8_000);
          answers.push(brokers.map((b) => `${b.host}:${b.port}`).join(','));
        } catch (err) {
          answers.push(`error: ${(err as Error).message}`);
        }
      }
      assert.deepEqual(answers, Array(6).fill(room.bootstrap));
    });
  });

  test('without EXTERNAL_LISTENER nothing is checked', async () => {
    const gen = await ConsumerProcess.start('gen', { KAFKA_TOPIC: uniqueName('ext'), TOPIC_PARTITIONS: '1', RATE: '0', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(gen);
    await gen.waitReady();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(verdict(gen), undefined);
  });
});
