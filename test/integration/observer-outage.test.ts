import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { startBroker, type Broker } from '../support/broker';
import { createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

type Answer = { ready?: boolean; ok?: boolean; members?: number; error?: string };

/** A child describing one group on demand (test/support/describe-through-outage.ts). */
class Describer {
  private readonly answers: Answer[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  stderr = '';
  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: Answer) => this.answers.push(m));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    child.once('exit', (code, signal) => (this.exit = { code, signal }));
  }
  static async start(env: Record<string, string>): Promise<Describer> {
    const child = fork(path.resolve(__dirname, '../support/describe-through-outage.js'), { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const d = new Describer(child);
    await waitFor(() => d.answers.some((a) => a.ready) || d.exit, { what: 'the describer to start' });
    return d;
  }
  async describe(timeoutMs = 15_000): Promise<Answer> {
    const n = this.answers.length;
    if (!this.exit) this.child.send({ describe: true });
    await waitFor(() => this.answers.length > n || this.exit, { timeoutMs, what: 'an answer to describeGroups' });
    if (this.exit) throw new Error(`the describing process died: ${JSON.stringify(this.exit)} ${this.stderr.trim()}`);
    return this.answers[n]!;
  }
}

// These tests stop and restart the broker, so they run their own instead of the shared one.
describe("the observer's Kafka client across a broker outage longer than its request timeout", () => {
  let broker: Broker;
  const running = endedAfterSuite();
  const describers: Describer[] = [];
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    describers.forEach((d) => d.child.kill('SIGKILL'));
    await broker?.stop();
  });

  test('group descriptions that time out while the coordinator is down do not abort the process when it comes back (librdkafka #4605, patched)', async () => {
    const topic = uniqueName('outage');
    const group = uniqueName('g');
    await createTopic(topic, 2, broker.bootstrap);
    const consumer = await ConsumerProcess.start('lab-consumer-1', { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group });
    running.push(consumer);
    const d = await Describer.start({ KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: topic, GROUP: group, OBSERVER_TIMEOUT_MS: '500' });
    describers.push(d);
    await waitFor(async () => (await d.describe()).members === 1, { what: 'the group with its member, described once (the coordinator is now known)' });

    await consumer.kill();
    await broker.halt();
    // Each of these times out while its request waits for the coordinator to come back.
    for (let i = 0; i < 3; i++) assert.equal((await d.describe()).ok, false, 'describeGroups fails while the broker is down');
    await broker.restart();
    // Unpatched, the waiting requests are sent when the coordinator is up again, and the first
    // answer to one whose caller already timed out aborts the process in rd_kafka_enq_once_del_source_return.
    let lastError: Error | null = null;
    await waitFor(
      async () => {
        try {
          return (await d.describe()).ok === true;
        } catch (err) {
          lastError = err as Error;
          return 'died';
        }
      },
      { timeoutMs: 60_000, what: 'describeGroups to succeed again' },
    );
    assert.equal(lastError, null);
    // The requests that waited are sent as the coordinator comes back: a few more rounds make sure
    // their answers have all arrived.
    for (let i = 0; i < 5; i++) assert.equal((await d.describe()).ok, true);
  });
});
