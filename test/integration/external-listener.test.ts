import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startBroker, type Broker } from '../support/broker';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

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

  test('without EXTERNAL_LISTENER nothing is checked', async () => {
    const gen = await ConsumerProcess.start('gen', { KAFKA_TOPIC: uniqueName('ext'), TOPIC_PARTITIONS: '1', RATE: '0', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(gen);
    await gen.waitReady();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(verdict(gen), undefined);
  });
});
