import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, metricValue } from '../support/consumer-process';
import { LabProducer, createTopic, uniqueName } from '../support/kafka';
import { allProcessed, duplicates, processedCounts, waitForOwnership } from '../support/group';

const PARTITIONS = 6;

interface Step {
  label: string;
  before: Map<string, number[]>;
  after: Map<string, number[]>;
  /** Per consumer, the partitions it revoked during the step. */
  revoked: Map<string, number[]>;
}

/** Partitions revoked by `c` since log line `from`. */
function revokedSince(c: ConsumerProcess, from: number): number[] {
  return c.lines.slice(from).filter((l) => l.event === 'revoke' || l.event === 'lost').flatMap((l) => l.revoked as number[]);
}

/**
 * Drives one group through join, join, graceful leave, recording for every consumer what it owned
 * before and after each step and what it revoked in between.
 */
async function scaleUpAndDown(env: Record<string, string>, processingMs = 2): Promise<{ steps: Step[]; pauses: string }> {
  const topic = uniqueName('proto');
  await createTopic(topic, PARTITIONS);
  // Work per message, a backlog before each change and messages arriving throughout it: the
  // rebalances happen while the members are busy, which is when a careless revocation would lose
  // or repeat messages.
  const full = { ...env, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: String(processingMs) };
  const producer = await LabProducer.connect(topic);
  // Every process started is killed at the end, also one that failed before it joined `group`.
  const started: ConsumerProcess[] = [];
  const start = async (name: string) => {
    const c = await ConsumerProcess.start(name, full);
    started.push(c);
    return c;
  };
  const steps: Step[] = [];
  try {
    const a = await start('a');
    const group = [a];
    let owners = await waitForOwnership(group, PARTITIONS);
    const step = async (label: string, change: () => Promise<ConsumerProcess[]>) => {
      const marks = new Map(group.map((c) => [c.name, c.lines.length]));
      const before = owners;
      await producer.produce(PARTITIONS, 150);
      let producing = true;
      const pump = (async () => {
        while (producing) await producer.produce(PARTITIONS, 10);
      })();
      let members: ConsumerProcess[];
      try {
        members = await change();
        owners = await waitForOwnership(members, PARTITIONS);
      } finally {
        producing = false;
        await pump;
      }
      // Every partition keeps being consumed: messages produced now all arrive.
      await producer.produce(PARTITIONS, 5);
      await allProcessed([...group], producer.produced());
      const revoked = new Map(members.map((c) => [c.name, revokedSince(c, marks.get(c.name) ?? c.lines.length)]));
      steps.push({ label, before, after: owners, revoked });
    };
    const b = await start('b');
    await step('b joins', async () => (group.push(b), [a, b]));
    const c = await start('c');
    await step('c joins', async () => (group.push(c), [a, b, c]));
    await step('c leaves (SIGTERM)', async () => {
      c.signal('SIGTERM');
      await c.exit();
      return [a, b];
    });
    assert.equal(duplicates(processedCounts(group)), 0, 'graceful rebalances deliver nothing twice');
    // What the members report as their own pauses (lab_consumer_rebalance_pause_seconds).
    const pauses = await Promise.all(
      [a, b].map(async (m) => {
        const text = await m.metrics();
        const sum = metricValue(text, 'lab_consumer_rebalance_pause_seconds_sum') ?? 0;
        return `${m.name} ${(sum * 1000).toFixed(1)} ms in ${metricValue(text, 'lab_consumer_rebalance_pause_seconds_count')} callbacks`;
      }),
    );
    return { steps, pauses: pauses.join(', ') };
  } finally {
    await Promise.all(started.map((c) => c.kill()));
    await producer.close();
  }
}

/** Partitions a consumer owned both before and after a step: they did not move. */
function stayed(step: Step, name: string): number[] {
  const before = new Set(step.before.get(name) ?? []);
  return (step.after.get(name) ?? []).filter((p) => before.has(p));
}

describe('rebalance protocols: every partition has exactly one owner after every rebalance', () => {
  const cases: { name: string; env: Record<string, string>; incremental: boolean; processingMs?: number }[] = [
    { name: 'classic protocol, range (eager)', env: { ASSIGNMENT_STRATEGY: 'range' }, incremental: false },
    // Without simulated work the next batch is fetched while one is processed, so batches
    // straddle the revocations: a separate path to prove.
    { name: 'classic protocol, range (eager), no simulated work (batches fetched ahead)', env: { ASSIGNMENT_STRATEGY: 'range' }, incremental: false, processingMs: 0 },
    { name: 'classic protocol, cooperative-sticky (incremental)', env: { ASSIGNMENT_STRATEGY: 'cooperative-sticky' }, incremental: true },
    { name: 'consumer protocol, KIP-848 (broker-side assignment)', env: { GROUP_PROTOCOL: 'consumer' }, incremental: true },
    { name: 'classic protocol, cooperative-sticky, no simulated work (batches fetched ahead)', env: { ASSIGNMENT_STRATEGY: 'cooperative-sticky' }, incremental: true, processingMs: 0 },
  ];

  for (const c of cases) {
    test(`${c.name}: ${c.incremental ? 'partitions that stay are never revoked' : 'every rebalance revokes everything'}`, async (t) => {
      const { steps, pauses } = await scaleUpAndDown(c.env, c.processingMs);
      t.diagnostic(`rebalance pauses reported: ${pauses}`);
      for (const s of steps) {
        // waitForOwnership already required exactly one owner per partition; record what moved.
        t.diagnostic(`${s.label}: ${[...s.after].map(([n, ps]) => `${n}=[${ps.join(',')}]`).join(' ')}; revoked ${[...s.revoked].map(([n, ps]) => `${n}:[${ps.join(',')}]`).join(' ')}`);
        for (const [name, revoked] of s.revoked) {
          const kept = stayed(s, name);
          if (c.incremental) {
            const wrongly = revoked.filter((p) => kept.includes(p));
            assert.deepEqual(wrongly, [], `${s.label}: ${name} revoked partitions it kept`);
          } else if ((s.before.get(name) ?? []).length > 0) {
            const everything = [...(s.before.get(name) ?? [])].sort((x, y) => x - y);
            assert.deepEqual([...new Set(revoked)].sort((x, y) => x - y), everything, `${s.label}: eager ${name} revokes all it owned`);
          }
        }
      }
    });
  }
});
