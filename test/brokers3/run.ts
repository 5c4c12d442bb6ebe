/**
 * The three-broker failover test (`npm run brokers3`): a KRaft cluster of three nodes (replication
 * factor 3, min.insync.replicas=2), 300 msg/s from the load generator, three consumers and the
 * observer. Per group protocol: kill -9 of the broker that coordinates the group, back after 15 s,
 * then a controlled shutdown (SIGTERM) of a broker that leads partitions of the topic, back after
 * 15 s. Measured per fault: how long any partition was not owned (or its owner not ready), how
 * long the observer's view was stale, how long until what was produced before the fault was
 * committed, and when the coordinator and the leaders moved. At the end, with production stopped
 * and the group drained, Kafka's own kafka-consumer-groups.sh is the judge: committed == log-end
 * on every partition, each partition owned once, and the observer's view the same; and the
 * observer's Kafka client never died by a signal (a native abort) on the way.
 *
 * BROKERS3_PROTOCOLS=classic or consumer narrows a run.
 */
import { startCluster, clusterPartitions, type KafkaCluster, type KafkaNode } from '../support/cluster';
import { ConsumerProcess } from '../support/consumer-process';
import { ownership, waitForOwnership } from '../support/group';
import { createTopic, endOffsets, uniqueName } from '../support/kafka';
import { describeMembersWithKafkaTool, describeOffsetsWithKafkaTool, ownersByClientId, startObserver } from '../support/observer';
import { waitFor } from '../support/wait';

const PARTITIONS = 6;
const RATE = 300;
const OUTAGE_MS = 15_000;
const REPLICAS = ['c1', 'c2', 'c3'];
type Protocol = 'classic' | 'consumer';
type FaultKind = 'kill -9 of the coordinator' | 'controlled shutdown of a leader';

class Failure extends Error {}
function check(ok: boolean, message: string): void {
  if (!ok) throw new Failure(message);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** /groups as this test reads it. */
interface GroupsDoc {
  up: boolean;
  stale: boolean;
  lastError: string | null;
  kafkaClient?: { restarts: number };
  groups: { group: string; coordinator: string; members: { member: string; memberId: string; clientId: string; partitions: number[] }[]; partitions: { partition: number; owner: string | null; committed: number | null; end: number | null }[] }[];
}

/**
 * Samples a condition every `intervalMs` from a start time: how long it was false in total, and
 * when it last became true again (ms since the start).
 */
class Sampler {
  private badMs = 0;
  private lastOkAgainMs: number | null = null;
  private firstBadMs: number | null = null;
  private running = true;
  private readonly loop: Promise<void>;
  constructor(
    private readonly from: number,
    condition: () => Promise<boolean>,
    intervalMs = 100,
  ) {
    this.loop = (async () => {
      let prevAt = Date.now();
      let prevOk = true;
      while (this.running) {
        const ok = await condition().catch(() => false);
        const now = Date.now();
        if (!prevOk) this.badMs += now - prevAt;
        if (!ok && this.firstBadMs === null) this.firstBadMs = now - this.from;
        if (ok && !prevOk) this.lastOkAgainMs = now - this.from;
        prevOk = ok;
        prevAt = now;
        await sleep(intervalMs);
      }
    })();
  }
  async stop(): Promise<{ badMs: number; firstBadMs: number | null; okAgainMs: number | null }> {
    this.running = false;
    await this.loop;
    return { badMs: this.badMs, firstBadMs: this.firstBadMs, okAgainMs: this.lastOkAgainMs };
  }
}

interface FaultResult {
  protocol: Protocol;
  kind: FaultKind;
  victim: number;
  /** Total time some partition had no ready owner among the consumers, fault to back-and-settled. */
  unownedMs: number;
  /** When the last such gap ended, ms after the fault (null: never a gap). */
  ownedAgainMs: number | null;
  /** Until every partition's commit passed its log-end at the fault. */
  committedPastFaultMs: number;
  /** Total time the observer served a stale view. */
  staleMs: number;
  staleEndedMs: number | null;
  /** What the observer's polls failed with meanwhile. */
  observerErrors: string[];
  /** When the observer showed another coordinator (null: it did not move). */
  coordinatorMovedMs: number | null;
  coordinatorBefore: number;
  coordinatorAfter: number;
  /** Partitions of the topic the victim led, and when none of them was led by it any more. */
  ledByVictim: number;
  leadersMovedMs: number | null;
}

const coordinatorId = (coordinator: string): number => Number(/\(id (\d+)\)/.exec(coordinator)?.[1] ?? NaN);

class FailoverRun {
  private readonly topic = uniqueName('brokers3');
  private readonly group = uniqueName('brokers3-g');
  private readonly consumers: ConsumerProcess[] = [];
  private loadgen: ConsumerProcess | null = null;
  /** Processes this run stopped on purpose; any other exit fails the run. */
  private readonly ended = new Set<ConsumerProcess>();
  private observer: ConsumerProcess | null = null;
  readonly results: FaultResult[] = [];

  constructor(
    private readonly cluster: KafkaCluster,
    private readonly protocol: Protocol,
    private readonly say: (line: string) => void,
  ) {}

  private all(): ConsumerProcess[] {
    return [...this.consumers, ...(this.loadgen ? [this.loadgen] : []), ...(this.observer ? [this.observer] : [])];
  }

  private checkAlive(): void {
    const dead = this.all().filter((c) => !this.ended.has(c) && (c.exitCode !== null || c.exitSignal !== null));
    check(
      dead.length === 0,
      `exited: ${dead.map((c) => `${c.name} (${c.exitCode ?? c.exitSignal}) ${c.stderr.slice(0, 300)} ${JSON.stringify(c.lines.filter((l) => l.level !== 'info').slice(-4))} last: ${JSON.stringify(c.lines.slice(-3))}`).join('; ')}`,
    );
  }

  private async groups(): Promise<GroupsDoc> {
    return (await (await fetch(`http://127.0.0.1:${this.observer!.port}/groups`)).json()) as GroupsDoc;
  }

  /** The coordinator's broker id and each partition's leader as the observer's /metrics export them. */
  private async exported(): Promise<{ coordinator: number | null; leaders: Map<number, number> }> {
    const text = await (await fetch(`http://127.0.0.1:${this.observer!.port}/metrics`)).text();
    const coordinator = new RegExp(`^lab_group_coordinator\\{group="${this.group}",broker="(\\d+)"\\} 1$`, 'm').exec(text)?.[1];
    const leaders = new Map<number, number>();
    for (const m of text.matchAll(new RegExp(`^kafka_topic_partition_leader\\{topic="${this.topic}",partition="(\\d+)"\\} (-?\\d+)$`, 'gm'))) leaders.set(Number(m[1]), Number(m[2]));
    return { coordinator: coordinator === undefined ? null : Number(coordinator), leaders };
  }

  /** lab_observer_kafka_client_restarts_total by reason (the signal, or exit_<code>), as exported. */
  private async clientExits(): Promise<Map<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${this.observer!.port}/metrics`)).text();
    const exits = new Map<string, number>();
    for (const m of text.matchAll(/^lab_observer_kafka_client_restarts_total\{reason="([^"]+)"\} (\d+)$/gm)) if (Number(m[2]) > 0) exits.set(m[1]!, Number(m[2]));
    return exits;
  }

  private async observedGroup(): Promise<GroupsDoc['groups'][number] | undefined> {
    return (await this.groups()).groups.find((g) => g.group === this.group);
  }

  async setUp(): Promise<void> {
    const bootstrap = this.cluster.bootstrap;
    await createTopic(this.topic, PARTITIONS, bootstrap, 3);
    this.observer = await startObserver({ KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: this.topic, OBSERVER_GROUPS: this.group, OBSERVER_STALE_AFTER_MS: '60000' });
    const env: Record<string, string> = { KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: this.topic, KAFKA_GROUP_ID: this.group, LOG_LEVEL: 'info' };
    if (this.protocol === 'consumer') env.GROUP_PROTOCOL = 'consumer';
    else Object.assign(env, { ASSIGNMENT_STRATEGY: 'cooperative-sticky', SESSION_TIMEOUT_MS: '6000', HEARTBEAT_INTERVAL_MS: '1000' });
    for (const name of REPLICAS) this.consumers.push(await ConsumerProcess.start(name, env));
    await this.settled();
    this.loadgen = await ConsumerProcess.start(
      'loadgen',
      { KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: this.topic, TOPIC_PARTITIONS: String(PARTITIONS), TOPIC_REPLICATION_FACTOR: '3', RATE: String(RATE), LOG_LEVEL: 'info' },
      'loadgen',
    );
    await waitFor(async () => [...(await endOffsets(this.topic, PARTITIONS)).values()].every((o) => o > 0), { what: 'the load generator to produce to every partition' });
  }

  /** Every partition owned once by a ready consumer, and the observer showing the same owners. */
  private async settled(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const owners = await waitForOwnership(this.consumers, PARTITIONS, { timeoutMs: Math.max(1, deadline - Date.now()) });
      const g = await this.observedGroup().catch(() => undefined);
      const byObserver = ownersByClientId(g);
      if ([...owners].every(([name, ps]) => ps.every((p) => byObserver.get(p) === name))) return;
      check(Date.now() < deadline, `the observer never agreed with the consumers: ${JSON.stringify([...owners])} vs ${JSON.stringify([...byObserver])}`);
      await sleep(200);
    }
  }

  private async ownedAndReady(): Promise<boolean> {
    const owners = new Map<string, number[]>();
    for (const c of this.consumers) {
      const s = await c.status();
      if (!s.ready) return false;
      owners.set(c.name, s.assignedPartitions.map((p) => p.partition));
    }
    const counts = ownership(owners);
    return counts.size === PARTITIONS && [...counts.values()].every((n) => n === 1);
  }

  /** Partitions of the topic led by each broker, from the cluster's metadata. */
  private async leaders(): Promise<Map<number, number>> {
    const all = await clusterPartitions(this.cluster.bootstrap);
    return new Map(all.filter((p) => p.topic === this.topic).map((p) => [p.partition, p.leader]));
  }

  /** No partition of any topic (the group's offsets included) short of an in-sync replica. */
  private async fullyReplicated(): Promise<void> {
    await waitFor(async () => (await clusterPartitions(this.cluster.bootstrap)).every((p) => p.isr.length === p.replicas.length && p.replicas.length === 3), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'every partition back to three in-sync replicas',
    });
  }

  /**
   * Ms from `at` until the consumers report (librdkafka's statistics, every second) a commit at or
   * past `ends` on every partition: what was produced by then is processed and committed.
   */
  private committedPast(ends: Map<number, number>, at: number): Promise<number> {
    return waitFor(
      async () => {
        const seen = new Map<number, number>();
        for (const c of this.consumers) for (const p of (await c.status()).assignedPartitions) if (p.committed !== null) seen.set(p.partition, p.committed);
        return [...ends].every(([p, end]) => (seen.get(p) ?? -1) >= end) ? Date.now() - at : null;
      },
      { timeoutMs: 90_000, intervalMs: 100, what: 'what was produced before the fault to be committed' },
    );
  }

  /** The same measure with no fault: the commit interval and the statistics interval alone. */
  async baseline(): Promise<number> {
    await sleep(2000);
    const ends = await endOffsets(this.topic, PARTITIONS);
    const ms = await this.committedPast(ends, Date.now());
    this.say(`  no fault: produced-before committed at ${seconds(ms)}`);
    return ms;
  }

  async fault(kind: FaultKind, exclude: number[]): Promise<number> {
    const g = await this.observedGroup();
    const coordinatorBefore = coordinatorId(g?.coordinator ?? '');
    check(Number.isInteger(coordinatorBefore), `the observer names no coordinator for the group: ${JSON.stringify(g?.coordinator)}`);
    const leadersBefore = await this.leaders();
    let victim: KafkaNode;
    if (kind === 'kill -9 of the coordinator') victim = this.cluster.node(coordinatorBefore);
    else {
      // A broker that leads partitions of the topic and is neither the coordinator nor excluded.
      const candidates = this.cluster.nodes.filter((n) => n.id !== coordinatorBefore && !exclude.includes(n.id));
      const leading = candidates.filter((n) => [...leadersBefore.values()].includes(n.id));
      victim = leading[0] ?? candidates[0] ?? this.cluster.nodes.find((n) => n.id !== coordinatorBefore)!;
    }
    const led = [...leadersBefore].filter(([, l]) => l === victim.id).map(([p]) => p);
    const endsAtFault = await endOffsets(this.topic, PARTITIONS);

    const at = Date.now();
    const owned = new Sampler(at, () => this.ownedAndReady());
    const errors = new Set<string>();
    const current = new Sampler(at, async () => {
      const doc = await this.groups();
      if (doc.lastError) errors.add(doc.lastError);
      return doc.up && !doc.stale;
    });
    // Both read from the observer's metrics, as a dashboard would show them.
    let coordinatorAfter = coordinatorBefore;
    let coordinatorMovedMs: number | null = null;
    let leadersMovedMs: number | null = led.length === 0 ? 0 : null;
    const watchExported = new Sampler(at, async () => {
      const { coordinator, leaders } = await this.exported();
      if (coordinator !== null && coordinator !== coordinatorAfter) {
        coordinatorAfter = coordinator;
        coordinatorMovedMs ??= Date.now() - at;
      }
      if (leadersMovedMs === null && led.every((p) => leaders.has(p) && leaders.get(p) !== victim.id && leaders.get(p)! >= 0)) leadersMovedMs = Date.now() - at;
      return true;
    }, 200);

    if (kind === 'kill -9 of the coordinator') await victim.kill();
    else await victim.shutDown();
    const committedPastFault = this.committedPast(endsAtFault, at);
    // Awaited below; until then a time-out must not end the process as an unhandled rejection.
    committedPastFault.catch(() => undefined);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - at)));
    this.checkAlive();
    await victim.start();
    await this.fullyReplicated();
    await this.settled();
    const committedPastFaultMs = await committedPastFault;
    const o = await owned.stop();
    const s = await current.stop();
    await watchExported.stop();
    this.checkAlive();
    const r: FaultResult = {
      protocol: this.protocol,
      kind,
      victim: victim.id,
      unownedMs: o.badMs,
      ownedAgainMs: o.okAgainMs,
      committedPastFaultMs,
      staleMs: s.badMs,
      staleEndedMs: s.okAgainMs,
      observerErrors: [...errors],
      coordinatorMovedMs,
      coordinatorBefore,
      coordinatorAfter,
      ledByVictim: led.length,
      leadersMovedMs,
    };
    this.results.push(r);
    this.say(
      `  ${kind} (node ${victim.id}, led ${led.length} of ${PARTITIONS} partitions; coordinator ${coordinatorBefore} -> ${coordinatorAfter}` +
        `${coordinatorMovedMs !== null ? ` at ${seconds(coordinatorMovedMs)}` : ''}; leaders moved at ${seconds(leadersMovedMs)}): ` +
        `partitions without a ready owner ${seconds(o.badMs)} in all, owned and ready again at ${seconds(o.okAgainMs ?? 0)}; ` +
        `produced-before-fault committed at ${seconds(committedPastFaultMs)}; observer stale ${seconds(s.badMs)}${s.okAgainMs !== null ? `, current again at ${seconds(s.okAgainMs)}` : ''}${errors.size > 0 ? ` (${[...errors].join('; ')})` : ''}`,
    );
    if (kind === 'kill -9 of the coordinator') check(coordinatorAfter !== victim.id && coordinatorMovedMs !== null, `lab_group_coordinator never moved off node ${victim.id}`);
    check(leadersMovedMs !== null, `kafka_topic_partition_leader never moved the ${led.length} partitions node ${victim.id} led`);
    return victim.id;
  }

  /** Stops production, lets the group drain, and holds everything to Kafka's own tool. */
  async finish(): Promise<string> {
    this.checkAlive();
    const doc = await this.groups();
    const restarts = doc.kafkaClient?.restarts ?? 0;
    // The observer's Kafka client must not die natively (issue 17: librdkafka's assertion at the
    // coordinator's kill, fixed by our patch once the client ran on its own librdkafka). Its
    // restart stays the safety net (test/integration/observer-kafka-client.test.ts); a stuck
    // client's exit (75) is no abort and stays allowed.
    const aborts = [...new Set(this.observer!.stderr.split('\n').filter((l) => /Assertion|abort/i.test(l)))];
    const exits = await this.clientExits();
    const signalled = [...exits].filter(([reason, n]) => n > 0 && reason.startsWith('SIG'));
    check(aborts.length === 0 && signalled.length === 0, `native abort of the observer's Kafka client: ${JSON.stringify(signalled)} ${aborts.join('; ')}`);
    const loadgen = this.loadgen!;
    this.ended.add(loadgen);
    loadgen.signal('SIGTERM');
    await loadgen.exit();
    check(loadgen.exitCode === 0, `the load generator exited ${loadgen.exitCode ?? loadgen.exitSignal}`);
    const deliveryErrors = loadgen.lines.filter((l) => l.msg.startsWith('delivery failed')).length;
    check(deliveryErrors === 0, `${deliveryErrors} delivery failures logged by the load generator`);
    const drained = await waitFor(
      () => {
        const rows = describeOffsetsWithKafkaTool(this.group, this.topic);
        return rows.size === PARTITIONS && [...rows.values()].every((r) => r.committed === r.end) ? rows : null;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'kafka-consumer-groups.sh to show committed == log-end on every partition' },
    ).catch((err) => {
      throw new Failure(`${(err as Error).message}: ${JSON.stringify([...describeOffsetsWithKafkaTool(this.group, this.topic)])}`);
    });
    const members = describeMembersWithKafkaTool(this.group, this.topic);
    const byTool = new Map<number, string[]>();
    for (const m of members) for (const p of m.partitions) byTool.set(p, [...(byTool.get(p) ?? []), m.clientId]);
    check(byTool.size === PARTITIONS && [...byTool.values()].every((o) => o.length === 1), `kafka-consumer-groups.sh: not every partition owned once: ${JSON.stringify([...byTool])}`);
    await waitFor(
      async () => {
        const g = await this.observedGroup();
        return (
          g !== undefined &&
          g.partitions.length === PARTITIONS &&
          g.partitions.every((p) => ownersByClientId(g).get(p.partition) === byTool.get(p.partition)![0] && p.committed === drained.get(p.partition)!.committed && p.end === drained.get(p.partition)!.end)
        );
      },
      { timeoutMs: 15_000, what: "the observer's view to match kafka-consumer-groups.sh (owners, committed, log-end)" },
    );
    const gaps = this.consumers.flatMap((c) => c.lines.filter((l) => l.msg.startsWith('sequence gap')));
    check(gaps.length === 0, `${gaps.length} sequence gaps reported by the consumers`);
    this.checkAlive();
    for (const c of this.consumers) {
      this.ended.add(c);
      c.signal('SIGTERM');
    }
    for (const c of this.consumers) {
      await c.exit();
      check(c.exitCode === 0, `${c.name} exited ${c.exitCode ?? c.exitSignal} on SIGTERM`);
    }
    const observer = this.observer!;
    this.ended.add(observer);
    observer.signal('SIGTERM');
    await observer.exit();
    check(observer.exitCode === 0, `the observer exited ${observer.exitCode ?? observer.exitSignal}`);
    const messages = [...drained.values()].reduce((n, r) => n + r.end, 0);
    return `${messages} messages, committed == log-end on all ${PARTITIONS} partitions, 0 gaps, 0 delivery errors, no native abort of the observer's Kafka client, its restarts ${restarts}${exits.size > 0 ? ` (${[...exits].map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`;
  }

  async cleanUp(): Promise<void> {
    for (const c of this.all()) await c.kill();
  }
}

async function main(): Promise<void> {
  const raw = process.env.BROKERS3_PROTOCOLS;
  const protocols = (raw ? raw.split(',').map((s) => s.trim()) : ['classic', 'consumer']) as Protocol[];
  const bad = protocols.filter((p) => p !== 'classic' && p !== 'consumer');
  if (bad.length > 0) {
    process.stderr.write(`BROKERS3_PROTOCOLS=${raw} is not accepted: expected a comma-separated list of classic, consumer\n`);
    process.exit(2);
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const started = Date.now();
  const cluster = await startCluster();
  // The test-side helpers (end offsets, kafka-consumer-groups.sh) read it from here.
  process.env.KAFKA_BROKERS = cluster.bootstrap;
  say(`brokers3: three KRaft nodes up at ${cluster.bootstrap} in ${seconds(Date.now() - started)}`);
  let failed = false;
  try {
    for (const protocol of protocols) {
      const runStarted = Date.now();
      say(`brokers3: GROUP_PROTOCOL=${protocol}`);
      const run = new FailoverRun(cluster, protocol, say);
      try {
        await run.setUp();
        await run.baseline();
        const first = await run.fault('kill -9 of the coordinator', []);
        await run.fault('controlled shutdown of a leader', [first]);
        say(`brokers3: GROUP_PROTOCOL=${protocol} passed: ${await run.finish()}; ${seconds(Date.now() - runStarted)}`);
      } catch (err) {
        failed = true;
        say(`brokers3: GROUP_PROTOCOL=${protocol} FAILED: ${(err as Error).message}`);
        if (!(err instanceof Failure)) say(String((err as Error).stack));
      } finally {
        await run.cleanUp();
      }
    }
  } finally {
    if (failed) say(`brokers3: node logs kept in ${cluster.dir}`);
    await cluster.stop(failed);
  }
  say(`brokers3: ${failed ? 'FAILED' : 'passed'} in ${seconds(Date.now() - started)}`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(2);
});
