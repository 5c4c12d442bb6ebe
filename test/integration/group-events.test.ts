import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Kafka as KafkaJS, logLevel } from 'kafkajs';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { brokers, createTopic, uniqueName } from '../support/kafka';
import { startObserver } from '../support/observer';
import { TimedProducer } from '../support/timed-producer';
import { waitFor } from '../support/wait';

const PARTITIONS = 6;

interface Event {
  seq: number;
  type: string;
  group: string;
  at: string;
  since: string | null;
  member?: string;
  partition?: number;
  from?: string | null;
  to?: string | null;
  durationMs?: number;
}

async function events(observer: ConsumerProcess, group: string): Promise<Event[]> {
  const res = await fetch(`http://127.0.0.1:${observer.port}/groups/events?group=${encodeURIComponent(group)}`);
  return ((await res.json()) as { events: Event[] }).events;
}

/**
 * The coordinator's own answer, asked every 100 ms with another client (KafkaJS's DescribeGroups):
 * when each client id first appeared in the group and when it was last gone. The reference for
 * "within 2 s of the coordinator knowing".
 */
function watchCoordinator(group: string) {
  const admin = new KafkaJS({ clientId: 'events-reference', brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
  const present = new Map<string, number>();
  const gone = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    await admin.connect();
    const seen = new Set<string>();
    while (running) {
      try {
        const { groups } = await admin.describeGroups([group]);
        const now = Date.now();
        const ids = new Set(groups[0]?.members.map((m) => m.clientId) ?? []);
        for (const id of ids) if (!present.has(id)) present.set(id, now);
        for (const id of seen) if (!ids.has(id) && !gone.has(id)) gone.set(id, now);
        seen.clear();
        for (const id of ids) seen.add(id);
      } catch {
        // A coordinator busy loading answers the next time.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.disconnect();
  })();
  return { present, gone, stop: async () => ((running = false), await loop) };
}

describe('the rebalance timeline against the coordinator (classic protocol)', () => {
  const running = endedAfterSuite();

  test('join, graceful leave and kill (session expiry): each member event once, in order, within 2 s of the coordinator, and nothing else', async (t) => {
    const topic = uniqueName('events');
    const group = uniqueName('g');
    await createTopic(topic, PARTITIONS);
    const producer = await TimedProducer.connect(topic, PARTITIONS);
    t.after(() => producer.close());
    producer.setRate(30);
    // The production default: one poll a second, which is what "within 2 s" is about.
    const observer = await startObserver({ KAFKA_TOPIC: topic, OBSERVER_GROUPS: group, OBSERVER_INTERVAL_MS: '1000' });
    running.push(observer);
    const coordinator = watchCoordinator(group);
    t.after(() => coordinator.stop());
    // The observer's first good poll reports nothing (it has no picture before it). Waiting for it
    // makes the first member's join a change the observer sees, rather than a race with it.
    await waitFor(async () => (await observer.readyz()) === 200, { timeoutMs: 30_000, intervalMs: 100, what: 'the observer\'s first good poll' });
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '0', LOG_LEVEL: 'info', SESSION_TIMEOUT_MS: '6000' };
    const first = await ConsumerProcess.start('lab-consumer-1', env);
    running.push(first);
    const settled = (members: number) =>
      waitFor(
        async () => {
          const doc = (await (await fetch(`http://127.0.0.1:${observer.port}/groups`)).json()) as { groups: { group: string; state: string; members: { partitions: number[] }[] }[] };
          const g = doc.groups.find((x) => x.group === group);
          return g && g.state === 'Stable' && g.members.length === members && g.members.reduce((n, m) => n + m.partitions.length, 0) === PARTITIONS;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `a stable group of ${members} owning every partition` },
      );
    await settled(1);
    const seen = async (type: string, member: string) => waitFor(async () => (await events(observer, group)).find((e) => e.type === type && e.member === member), { timeoutMs: 30_000, intervalMs: 200, what: `${type} ${member}` });

    const second = await ConsumerProcess.start('lab-consumer-2', env);
    running.push(second);
    await seen('member-joined', 'lab-consumer-2');
    await settled(2);
    second.signal('SIGTERM');
    await second.exit();
    await seen('member-left', 'lab-consumer-2');
    await settled(1);

    const third = await ConsumerProcess.start('lab-consumer-3', env);
    running.push(third);
    await seen('member-joined', 'lab-consumer-3');
    await settled(2);
    const killedAt = Date.now();
    third.signal('SIGKILL');
    await seen('member-left', 'lab-consumer-3');
    await settled(1);
    // Anything late (a stray event) would show up within a few more polls.
    await new Promise((r) => setTimeout(r, 3000));

    const all = await events(observer, group);
    const membership = all.filter((e) => e.type.startsWith('member-'));
    t.diagnostic(all.map((e) => `${e.at} ${e.type} ${e.member ?? ''}${e.partition !== undefined ? `${e.partition} ` : ''}${e.from !== undefined ? `${e.from ?? '-'} -> ${e.to ?? '-'}` : ''}${e.durationMs !== undefined ? ` ${e.durationMs} ms` : ''}`).join('\n'));
    assert.deepEqual(
      membership.map((e) => `${e.type} ${e.member}`),
      ['member-joined lab-consumer-1', 'member-joined lab-consumer-2', 'member-left lab-consumer-2', 'member-joined lab-consumer-3', 'member-left lab-consumer-3'],
      'each membership change once, in order, and no other',
    );
    // Within 2 s of the coordinator answering with the change.
    for (const e of membership) {
      const known = (e.type === 'member-joined' ? coordinator.present : coordinator.gone).get(e.member!);
      assert.ok(known !== undefined, `the coordinator never showed ${e.type} ${e.member}`);
      const late = Date.parse(e.at) - known;
      t.diagnostic(`${e.type} ${e.member}: ${late} ms after the coordinator showed it`);
      assert.ok(late <= 2000, `${e.type} ${e.member} seen ${late} ms after the coordinator showed it`);
    }
    // The kill is a session expiry: the coordinator (and so the observer) learns of it a session later, not at once.
    const expiredAfter = Date.parse(membership[4]!.at) - killedAt;
    t.diagnostic(`the killed member left the picture ${expiredAfter} ms after the kill (session timeout 6000 ms)`);
    assert.ok(expiredAfter >= 4000, `the killed member was gone ${expiredAfter} ms after the kill: sooner than its session could expire`);
    // Every rebalance that started ended, and moves name only members that existed.
    const starts = all.filter((e) => e.type === 'rebalance-started').length;
    const ends = all.filter((e) => e.type === 'rebalance-ended').length;
    assert.equal(starts, ends, 'every rebalance-started has its rebalance-ended');
    assert.ok(starts >= 5 && starts <= 10, `${starts} rebalances for 5 membership changes`);
    const names = new Set(['lab-consumer-1', 'lab-consumer-2', 'lab-consumer-3', null]);
    for (const e of all.filter((x) => x.type === 'partition-moved')) assert.ok(names.has(e.from ?? null) && names.has(e.to ?? null), JSON.stringify(e));
    assert.deepEqual(all.map((e) => e.seq), [...all.map((e) => e.seq)].sort((x, y) => x - y), 'in order');

    // The consumers' own callbacks on the same time axis (their pino `time`), for the reader.
    const callbacks = [first, second, third].flatMap((c) =>
      c.lines.filter((l) => l.event === 'assign' || l.event === 'revoke' || l.event === 'lost').map((l) => ({ at: new Date(l.time as number).toISOString(), what: `${c.name} ${String(l.event)} ${JSON.stringify(l.gained ?? l.revoked ?? l.partitions ?? '')}${l.pausedMs !== undefined ? ` paused ${Number(l.pausedMs).toFixed(0)} ms` : ''}` })),
    );
    const merged = [...callbacks, ...all.filter((e) => e.type !== 'partition-moved').map((e) => ({ at: e.at, what: `observer ${e.type} ${e.member ?? ''}${e.durationMs !== undefined ? ` ${e.durationMs} ms` : ''}` }))].sort((x, y) => x.at.localeCompare(y.at));
    t.diagnostic(`one time axis:\n${merged.map((x) => `${x.at} ${x.what}`).join('\n')}`);
  });
});
