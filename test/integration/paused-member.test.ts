import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { allProcessed, waitForOwnership } from '../support/group';
import { LabProducer, committedOffsets, createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

const PARTITIONS = 4;
const SESSION_TIMEOUT_MS = 6000;

describe('a member paused (SIGSTOP) longer than the session timeout', () => {
  const running = endedAfterSuite();

  for (const protocol of ['classic', 'consumer'] as const) {
    test(`comes back fenced, counts its partitions as lost, rejoins, and moves no committed offset back (GROUP_PROTOCOL=${protocol})`, async (t) => {
      const topic = uniqueName('paused');
      const group = uniqueName('g');
      await createTopic(topic, PARTITIONS);
      const env: Record<string, string> = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '2' };
      if (protocol === 'consumer') env.GROUP_PROTOCOL = 'consumer';
      else Object.assign(env, { SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), HEARTBEAT_INTERVAL_MS: '1000' });
      const a = await ConsumerProcess.start('a', env);
      const b = await ConsumerProcess.start('b', env);
      running.push(a, b);
      await waitForOwnership([a, b], PARTITIONS);
      const producer = await LabProducer.connect(topic);
      try {
        await producer.produce(PARTITIONS, 100);
        await allProcessed([a, b], producer.produced());

        // a stops dead, holding its partitions; the group gives them to b after the session timeout.
        a.signal('SIGSTOP');
        const stoppedAt = Date.now();
        await waitFor(async () => (await b.owned())?.length === PARTITIONS, { timeoutMs: 30_000, what: 'b to take over every partition' });
        const takeoverMs = Date.now() - stoppedAt;
        await producer.produce(PARTITIONS, 50);
        await allProcessed([a, b], producer.produced());
        const end = await waitFor(
          async () => {
            const c = await committedOffsets(group, topic, PARTITIONS);
            return [...c.values()].every((o) => o >= 150) ? c : null;
          },
          { what: 'b to commit everything' },
        );

        const mark = a.lines.length;
        a.signal('SIGCONT');
        await waitFor(() => a.lines.slice(mark).some((l) => l.event === 'lost'), { timeoutMs: 20_000, what: 'a to count its partitions as lost' });
        assert.ok(!a.lines.slice(mark).some((l) => l.event === 'revoke'), 'a does not treat it as a graceful revocation');
        await waitForOwnership([a, b], PARTITIONS, { timeoutMs: 30_000 });
        t.diagnostic(`b took over ${takeoverMs} ms after SIGSTOP; a rejoined ${Date.now() - stoppedAt} ms after it`);

        const after = await committedOffsets(group, topic, PARTITIONS);
        for (const [p, o] of end) assert.ok((after.get(p) ?? -1) >= o, `partition ${p}: committed offset went from ${o} back to ${after.get(p)}`);
        await producer.produce(PARTITIONS, 20);
        await allProcessed([a, b], producer.produced());
        assert.equal(a.exitCode, null, 'a keeps running');
        assert.deepEqual(a.lines.filter((l) => l.level === 'fatal'), []);
      } finally {
        a.signal('SIGCONT');
        await producer.close();
      }
    });
  }
});
