import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite, metricValue } from '../support/consumer-process';
import { createTopic, uniqueName } from '../support/kafka';
import { observed, startObserver } from '../support/observer';
import { waitFor } from '../support/wait';

interface GroupsDoc {
  up: boolean;
  stale: boolean;
  groups: { group: string; members: { member: string; partitions: number[] }[] }[];
  kafkaClient: { pid: number | null; running: boolean; restarts: number; lastExit: { code: number | null; signal: string | null } | null };
}

describe("the observer survives the death of its Kafka client process", () => {
  const running = endedAfterSuite();

  for (const signal of ['SIGABRT', 'SIGKILL'] as const) {
    test(`${signal} to the Kafka client: /groups keeps the last view marked stale, a new client starts and the view is current again within seconds`, async (t) => {
      const topic = uniqueName(`client-${signal}`);
      const group = uniqueName('g');
      await createTopic(topic, 2);
      const observer = await startObserver({ KAFKA_TOPIC: topic });
      const consumer = await ConsumerProcess.start('lab-consumer-1', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group });
      running.push(observer, consumer);
      await waitFor(async () => (await observed(observer, group))?.members[0]?.partitions.length === 2, { what: 'the observer to show the member owning both partitions' });
      const doc = async () => (await (await fetch(`http://127.0.0.1:${observer.port}/groups`)).json()) as GroupsDoc;
      const before = await doc();
      assert.equal(before.stale, false);
      assert.equal(before.kafkaClient.restarts, 0);
      const pid = before.kafkaClient.pid!;
      assert.ok(pid > 0 && pid !== observer.pid, 'the Kafka client is a process of its own');

      // librdkafka's assertion failures end the process with SIGABRT, as in issue 17.
      process.kill(pid, signal);
      const killedAt = Date.now();
      // /readyz is read just before and just after /groups: the view can turn stale or current
      // between two requests, but not for the whole ~400 ms it stays stale.
      const samples: { at: number; stale: boolean; members: number | null; readyz: [number, number]; pid: number | null }[] = [];
      let current: GroupsDoc | null = null;
      while (Date.now() - killedAt < 20_000) {
        const readyBefore = await observer.readyz();
        const d = await doc();
        const g = d.groups.find((x) => x.group === group);
        samples.push({ at: Date.now() - killedAt, stale: d.stale, members: g ? g.members.length : null, readyz: [readyBefore, await observer.readyz()], pid: d.kafkaClient.pid });
        if (!d.stale && d.kafkaClient.restarts === 1) {
          current = d;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const currentAfterMs = Date.now() - killedAt;
      t.diagnostic(`${signal}: view current again ${currentAfterMs} ms after the kill; ${samples.filter((s) => s.stale).length} stale samples`);
      assert.ok(current, `the view never became current again: ${JSON.stringify(samples.slice(-3))}`);
      const stale = samples.filter((s) => s.stale);
      assert.ok(stale.length > 0, 'the view was marked stale while the client was down');
      assert.ok(
        stale.every((s) => s.members === 1),
        `meanwhile /groups kept serving the last view of the group: ${JSON.stringify(stale)}`,
      );
      assert.ok(stale.every((s) => s.readyz.includes(503)), `/readyz says not ready while the view is stale: ${JSON.stringify(stale)}`);
      assert.ok(currentAfterMs < 5000, `current again within 5 s (took ${currentAfterMs} ms)`);
      assert.notEqual(current.kafkaClient.pid, pid, 'a new process');
      assert.equal(current.kafkaClient.lastExit?.signal, signal);
      assert.equal(current.groups.find((x) => x.group === group)?.members.length, 1);

      const metrics = await observer.metrics();
      assert.equal(metricValue(metrics, 'lab_observer_kafka_client_restarts_total', { reason: signal }), 1);
      assert.equal(metricValue(metrics, 'lab_observer_kafka_client_running'), 1);
      assert.equal(metricValue(metrics, 'lab_observer_up'), 1);
      // What the polling costs is measured in the client process, and reported through the observer.
      assert.ok(metricValue(metrics, 'lab_observer_kafka_client_cpu_seconds_total')! > 0);
      assert.ok(metricValue(metrics, 'lab_observer_kafka_client_resident_memory_bytes')! > 10e6);
      const exits = observer.lines.filter((l) => l.msg.startsWith("the observer's Kafka client process ended"));
      assert.equal(exits.length, 1, 'one line for the exit');
      assert.equal(exits[0]!.signal, signal);
      assert.equal(observer.lines.filter((l) => l.msg === 'Kafka answers again; the view is current').length, 1, `one line when the view is current again: ${JSON.stringify(observer.lines.filter((l) => l.level !== 'info' || l.msg.startsWith('Kafka answers')))}`);
      assert.equal(observer.exitCode, null, 'the observer itself still runs');
      assert.equal(observer.exitSignal, null);
    });
  }
});
