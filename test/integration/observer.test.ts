import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite, metricValue } from '../support/consumer-process';
import { freePort, startBroker } from '../support/broker';
import { LabProducer, createTopic, uniqueName } from '../support/kafka';
import { describeMembersWithKafkaTool, describeOffsetsWithKafkaTool, observed, startConsoleConsumer, startObserver } from '../support/observer';
import { waitFor } from '../support/wait';

const PARTITIONS = 6;

describe('the group observer shows the group as its coordinator sees it', () => {
  const running = endedAfterSuite();
  const javas: ChildProcess[] = [];
  after(() => javas.forEach((j) => j.kill('SIGKILL')));

  for (const protocol of ['classic', 'consumer'] as const) {
    test(`${protocol === 'classic' ? 'a classic' : 'a KIP-848'} group: members, partitions and offsets equal what kafka-consumer-groups.sh prints, Kafka's console consumer included`, async (t) => {
      const topic = uniqueName(`observe-${protocol}`);
      const group = uniqueName('g');
      await createTopic(topic, PARTITIONS);
      const producer = await LabProducer.connect(topic);
      t.after(() => producer.close()); // a failed assertion must not leave the test file running
      await producer.produce(PARTITIONS, 20);
      const observer = await startObserver({ KAFKA_TOPIC: topic });
      const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '0', GROUP_PROTOCOL: protocol };
      running.push(observer, await ConsumerProcess.start('lab-consumer-1', env), await ConsumerProcess.start('lab-consumer-2', env));
      // Not our program: a participant's own consumer from an earlier step, here Kafka's Java one.
      javas.push(startConsoleConsumer(topic, group, 'console-alice', protocol));

      // Settled: three members own every partition once, and all 120 messages are committed.
      const settled = await waitFor(
        async () => {
          const g = await observed(observer, group);
          const settledNow =
            g &&
            g.state === 'Stable' &&
            g.members.length === 3 &&
            g.members.every((m) => m.partitions.length === 2) &&
            g.partitions.length === PARTITIONS &&
            g.partitions.every((p) => p.owner !== null && p.lag === 0);
          return settledNow ? g : null;
        },
        { timeoutMs: 60_000, what: 'the observer to show a stable group of 3 members owning 2 partitions each, with no lag' },
      );
      assert.equal(settled.protocol, protocol);
      const alice = settled.members.find((m) => m.clientId === 'console-alice');
      assert.ok(alice && alice.partitions.length > 0, 'the console consumer is a member with partitions of its own');

      // The same group through Kafka's own tool. A rebalance between the two reads would make them
      // differ for a moment, so compare until they agree, and show the last pair if they never do.
      let last: [unknown, unknown] = [null, null];
      const agreed = await waitFor(
        async () => {
          const g = (await observed(observer, group))!;
          const ours = g.members
            .map((m) => ({ memberId: m.memberId, host: m.clientHost, clientId: m.clientId, partitions: m.partitions, targetPartitions: m.targetPartitions ?? null }))
            .sort((x, y) => x.memberId.localeCompare(y.memberId));
          const kafkas = describeMembersWithKafkaTool(group, topic).sort((x, y) => x.memberId.localeCompare(y.memberId));
          last = [ours, kafkas];
          return JSON.stringify(ours) === JSON.stringify(kafkas) ? ours : null;
        },
        { timeoutMs: 20_000, intervalMs: 500, what: 'the observer and kafka-consumer-groups.sh to agree' },
      ).catch((err: Error) => {
        // Show the difference; a tool that never answered fails here too instead of comparing null with null.
        assert.notEqual(last[1], null, `kafka-consumer-groups.sh never answered: ${err.message}`);
        assert.deepEqual(last[0], last[1]);
        throw err;
      });
      t.diagnostic(`members: ${JSON.stringify(agreed)}`);

      const offsets = describeOffsetsWithKafkaTool(group, topic);
      const g = (await observed(observer, group))!;
      assert.deepEqual(
        g.partitions.map((p) => [p.partition, p.committed, p.end, p.lag]),
        [...offsets.entries()].sort((x, y) => x[0] - y[0]).map(([p, o]) => [p, o.committed, o.end, o.lag]),
        'committed offset, log-end offset and lag per partition equal the tool',
      );
      await producer.close();
      javas.pop()!.kill('SIGKILL');
    });
  }

  test("after SIGKILL the dead member keeps its partitions and their lag series until the coordinator reassigns them", async (t) => {
    const topic = uniqueName('observe-kill');
    const group = uniqueName('g');
    const partitions = 4;
    const sessionTimeoutMs = 6000;
    await createTopic(topic, partitions);
    const observer = await startObserver({ KAFKA_TOPIC: topic });
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '0', SESSION_TIMEOUT_MS: String(sessionTimeoutMs), HEARTBEAT_INTERVAL_MS: '1000' };
    const victim = await ConsumerProcess.start('lab-consumer-1', env);
    const survivor = await ConsumerProcess.start('lab-consumer-2', env);
    running.push(observer, victim, survivor);
    const before = await waitFor(
      async () => {
        const g = await observed(observer, group);
        return g && g.members.length === 2 && g.partitions.every((p) => p.owner !== null) && g.members.every((m) => m.partitions.length === 2) ? g : null;
      },
      { timeoutMs: 30_000, what: 'two members with two partitions each' },
    );
    const victimPartitions = before.members.find((m) => m.member === 'lab-consumer-1')!.partitions;
    const producer = await LabProducer.connect(topic);
    t.after(() => producer.close());
    await producer.produce(partitions, 5);
    await waitFor(async () => (await observed(observer, group))!.partitions.every((p) => p.committed !== null), { what: 'every partition to have a committed offset' });

    victim.signal('SIGKILL');
    const killedAt = Date.now();
    // Messages keep arriving: the dead member's partitions build up lag nobody processes.
    const samples: { at: number; owners: (string | null)[]; lags: (number | null)[] }[] = [];
    let reassignedAt = 0;
    while (Date.now() - killedAt < sessionTimeoutMs * 3) {
      await producer.produce(partitions, 1);
      const g = (await observed(observer, group))!;
      const mine = g.partitions.filter((p) => victimPartitions.includes(p.partition));
      samples.push({ at: Date.now() - killedAt, owners: mine.map((p) => p.owner), lags: mine.map((p) => p.lag) });
      if (mine.every((p) => p.owner === 'lab-consumer-2')) {
        reassignedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(reassignedAt > 0, `the coordinator never reassigned ${victimPartitions}: ${JSON.stringify(samples.slice(-3))}`);
    const waiting = samples.filter((s) => !s.owners.every((o) => o === 'lab-consumer-2'));
    assert.ok(waiting.length >= 5, 'samples were taken while the partitions waited');
    assert.ok(
      waiting.every((s) => s.lags.every((l) => l !== null)),
      `every partition keeps its lag series until reassigned: ${JSON.stringify(waiting)}`,
    );
    // The coordinator keeps the dead member until its session expires; between that and the new
    // assignment the partitions have no owner for a moment. Never anyone else.
    assert.ok(
      waiting.every((s) => s.owners.every((o) => o === 'lab-consumer-1' || o === null)),
      `until reassigned, the owner is the dead member or nobody: ${JSON.stringify(waiting)}`,
    );
    assert.ok(
      waiting.filter((s) => s.at < sessionTimeoutMs - 1500).every((s) => s.owners.every((o) => o === 'lab-consumer-1')),
      `within the session timeout the coordinator still names the dead member: ${JSON.stringify(waiting)}`,
    );
    assert.ok(Math.max(...waiting.at(-1)!.lags.map(Number)) > 0, 'the lag it left behind waits for a new owner');
    const reassignMs = reassignedAt - killedAt;
    t.diagnostic(`SIGKILL -> coordinator reassigned ${victimPartitions} in ${reassignMs} ms (session ${sessionTimeoutMs} ms); lag left behind: ${waiting.at(-1)!.lags}`);
    assert.ok(reassignMs >= sessionTimeoutMs - 1500, 'the coordinator waited for the session timeout');
    await waitFor(async () => (await observed(observer, group))!.partitions.every((p) => p.lag === 0), { timeoutMs: 30_000, what: 'the new owner to drain the lag' });
    await producer.close();
  });

  test('an unreachable broker is retried and reported: /readyz 503, lab_observer_up 0, one log line, HTTP still answering', async () => {
    const observer = await ConsumerProcess.start('observer', { KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, OBSERVER_INTERVAL_MS: '200', OBSERVER_TIMEOUT_MS: '500', LOG_LEVEL: 'info' }, 'observer');
    running.push(observer);
    await waitFor(() => observer.lines.some((l) => l.msg === 'observer starting'), { what: 'the observer to start' });
    await waitFor(async () => metricValue(await observer.metrics(), 'lab_observer_polls_total', { result: 'error' })! >= 4, { what: 'four failed polls' });
    const started = Date.now();
    const health = await fetch(`http://127.0.0.1:${observer.port}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(Date.now() - started < 500, 'the HTTP server answers while Kafka does not');
    assert.equal(await observer.readyz(), 503);
    assert.equal(metricValue(await observer.metrics(), 'lab_observer_up'), 0);
    const warnings = observer.lines.filter((l) => l.msg.startsWith('cannot describe the groups'));
    assert.equal(warnings.length, 1, 'one line for the outage, not one per poll');
    assert.equal(observer.exitCode, null, 'still running');
  });

  test('named groups (OBSERVER_GROUPS) on a broker that has only just started: the observer stays up and shows the group once it forms', async () => {
    // A fresh broker has no coordinator until its offsets topic exists, and describes the group
    // with an error meanwhile; @confluentinc/kafka-javascript 1.10.1 crashed (SIGSEGV) converting
    // such a description (patches/, docs/patches.md).
    const fresh = await startBroker();
    try {
      const topic = uniqueName('fresh');
      const group = uniqueName('g');
      await createTopic(topic, 2, fresh.bootstrap);
      const observer = await startObserver({ KAFKA_BROKERS: fresh.bootstrap, KAFKA_TOPIC: topic, OBSERVER_GROUPS: group });
      running.push(observer);
      const consumer = await ConsumerProcess.start('lab-consumer-1', { KAFKA_BROKERS: fresh.bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group });
      running.push(consumer);
      await waitFor(async () => (await observed(observer, group))?.members.length === 1, { what: 'the observer to show the new group' }).catch((err) => {
        throw new Error(`${(err as Error).message}; observer exit ${observer.exitCode ?? observer.exitSignal}`);
      });
      assert.equal(observer.exitSignal, null);
      // The Kafka client runs in a child process that is restarted after a crash: a crash there
      // would leave the observer up and the group shown, so the client must never have exited.
      const doc = (await (await fetch(`http://127.0.0.1:${observer.port}/groups`)).json()) as { kafkaClient: { restarts: number; lastExit: unknown } };
      assert.equal(doc.kafkaClient.restarts, 0, `the Kafka client process exited: ${JSON.stringify(doc.kafkaClient.lastExit)}`);
    } finally {
      await fresh.stop();
    }
  });
});
