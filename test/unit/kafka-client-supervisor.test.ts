import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { KafkaClientMessage } from '../../src/observer/kafka-client-messages';
import { KafkaClientSupervisor } from '../../src/observer/kafka-client-supervisor';
import { waitFor } from '../support/wait';

const FAKE = path.resolve(__dirname, '../support/fake-kafka-client.js');

async function run(env: Record<string, string>, exits: number) {
  const delays: number[] = [];
  const messages: KafkaClientMessage[] = [];
  const supervisor = new KafkaClientSupervisor({
    env: { PATH: process.env.PATH, ...env },
    modulePath: FAKE,
    backoffMs: 20,
    maxBackoffMs: 80,
    onMessage: (m) => messages.push(m),
    onExit: (exit, restartInMs) => {
      assert.equal(exit.code, 3);
      delays.push(restartInMs);
    },
  });
  supervisor.start();
  await waitFor(() => delays.length >= exits, { timeoutMs: 20_000, what: `${exits} exits` });
  await supervisor.stop(1000);
  return { delays: delays.slice(0, exits), messages, supervisor };
}

describe("the observer's Kafka client supervisor", () => {
  test('a client that dies before it polls is restarted after a back-off that doubles up to the maximum', async () => {
    const { delays, supervisor } = await run({}, 5);
    assert.deepEqual(delays, [20, 40, 80, 80, 80]);
    assert.ok(supervisor.state.restarts >= 4);
    assert.equal(supervisor.exits().get('exit_3')! >= 5, true);
  });

  test('a client that polled successfully before it died is restarted after the shortest back-off', async () => {
    const { delays, messages } = await run({ FAKE_POLL: '1' }, 4);
    assert.deepEqual(delays, [20, 20, 20, 20]);
    assert.ok(messages.filter((m) => m.type === 'polled').length >= 4, 'each reported its poll');
  });

  test('after stop() nothing is restarted', async () => {
    const { supervisor } = await run({}, 1);
    const restarts = supervisor.state.restarts;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(supervisor.state.restarts, restarts);
    assert.equal(supervisor.state.running, false);
  });
});
