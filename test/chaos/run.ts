/**
 * The chaos test (`npm run chaos`): three replicas of the consumer under continuous production
 * from the load generator, a real Kafka broker, and a seeded random order of faults: kill -9,
 * SIGTERM and restart, SIGSTOP past the session timeout then SIGCONT, and a broker restart. After
 * each step the group must settle with every partition owned exactly once, everything produced so
 * far must get processed, and no committed offset may move back. At the end every offset of every
 * partition must have been processed at least once, and every duplicate must lie where a fault
 * left processed work uncommitted (see audit.ts).
 *
 * CHAOS_SEED replays an order of steps and victims; CHAOS_PROTOCOLS (classic,consumer),
 * CHAOS_STEPS (per protocol) and CHAOS_FAULTS (kinds of fault) narrow a replay. Timing is the
 * machine's, so a replay repeats the faults, not every interleaving. A failed protocol leaves
 * every process's log lines in a folder it names.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBroker, type Broker } from '../support/broker';
import { ConsumerProcess, type LogLine } from '../support/consumer-process';
import { waitForOwnership } from '../support/group';
import { observed, ownersByClientId, startObserver, TEST_OBSERVER_INTERVAL_MS } from '../support/observer';
import { LatencyProbe } from '../support/probe';
import { committedOffsets, createTopic, endOffsets, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';
import { FAULT_NAMES, FAULTS, faultOrder, faultsNamed, type Fault } from './faults';
import { audit, type AuditResult, processings, missingOffsets, seededRandom, uncommittedWindows, type ProcessedRecord, type UncommittedWindow } from './audit';

const PARTITIONS = 6;
const REPLICAS = ['c1', 'c2', 'c3'];
// Half the replicas process synchronously (PROCESSING_MS=0: batches are prefetched while one is
// processed), the others await simulated work, so a revocation can land mid-message.
const PROCESSING_MS: Record<string, string> = { c1: '0', c2: '2', c3: '0' };
const RATE = 150;
// The classic members' session and the test broker's KIP-848 session (group.consumer.session.timeout.ms).
const SESSION_TIMEOUT_MS = 6000;
// Faults that outlast the session: the group moves on without the member, or every member loses its place.
const PAUSE_MS = SESSION_TIMEOUT_MS + 2000;
const OUTAGE_MS = SESSION_TIMEOUT_MS + 2000;
const SETTLE_TIMEOUT_MS = 60_000;
/** How long a membership change may take to reach the observer's timeline: the goal's 2 s, plus a poll. */
const TIMELINE_WAIT_MS = 3000;
/** How often, while waiting for the group to settle, the replicas' liveness is checked (restartStranded). */
const LIVENESS_EVERY_MS = 5_000;

type Protocol = 'classic' | 'consumer';

interface StepResult {
  step: number;
  fault: Fault;
  victim: string;
  /** From the fault (or, for SIGSTOP, from SIGCONT; for the broker, from its restart) to one owner per partition. */
  settleMs: number;
  /** SIGSTOP only: from SIGSTOP to the other members owning every partition. */
  takeoverMs?: number;
  /** SIGSTOP only: messages the thawed member processed before it learnt it had been fenced. */
  afterThaw?: number;
  /** Processed but not committed when the fault struck: what may be processed again. */
  uncommitted: number;
  /** Broker restart only: the slowest /healthz answer of any replica from the halt to the group settling. */
  healthzWorstMs?: number;
}

/** An invariant did not hold. */
class ChaosFailure extends Error {}
/** A CHAOS_* variable has a value we do not accept. */
class UsageError extends Error {}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ChaosFailure(message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function processedIn(lines: LogLine[]): ProcessedRecord[] {
  const out: ProcessedRecord[] = [];
  for (const l of lines) if (l.msg === 'processed') out.push({ partition: l.partition as number, offset: l.offset as number, at: Date.parse(String(l.time)) });
  return out;
}

/** One protocol's run: its own topic, group, replicas and load generator on the shared broker. */
class ChaosRun {
  private readonly topic = uniqueName('chaos');
  private readonly group = uniqueName('chaos-g');
  /** Every process started, dead or alive: the audit reads them all. */
  private readonly started: ConsumerProcess[] = [];
  private readonly live = new Map<string, ConsumerProcess>();
  /** Processes this run ended on purpose; any other exit is a failure. */
  private readonly ended = new Set<ConsumerProcess>();
  private readonly windows: UncommittedWindow[] = [];
  /** Replicas restarted because librdkafka left them with no broker (restartStranded). */
  readonly strandedRestarts: string[] = [];
  readonly steps: StepResult[] = [];
  private loadgen: ConsumerProcess | null = null;
  /** The group as its coordinator describes it: members and who owns which partition. */
  private observer: ConsumerProcess | null = null;
  private committed = new Map<number, number>();

  constructor(
    private readonly broker: Broker,
    private readonly protocol: Protocol,
    private readonly random: () => number,
    private readonly say: (line: string) => void,
  ) {}

  private env(name: string): Record<string, string> {
    const env: Record<string, string> = {
      KAFKA_BROKERS: this.broker.bootstrap,
      KAFKA_TOPIC: this.topic,
      KAFKA_GROUP_ID: this.group,
      PROCESSING_MS: PROCESSING_MS[name],
    };
    if (this.protocol === 'consumer') env.GROUP_PROTOCOL = 'consumer';
    else Object.assign(env, { SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), HEARTBEAT_INTERVAL_MS: '1000' });
    return env;
  }

  private async startReplica(name: string): Promise<ConsumerProcess> {
    const c = await ConsumerProcess.start(name, this.env(name));
    this.started.push(c);
    this.live.set(name, c);
    return c;
  }

  async setUp(): Promise<void> {
    await createTopic(this.topic, PARTITIONS, this.broker.bootstrap);
    this.observer = await startObserver({ KAFKA_BROKERS: this.broker.bootstrap, KAFKA_TOPIC: this.topic, OBSERVER_GROUPS: this.group });
    this.started.push(this.observer);
    for (const name of REPLICAS) await this.startReplica(name);
    await this.settled(Date.now());
    this.loadgen = await ConsumerProcess.start(
      'loadgen',
      { KAFKA_BROKERS: this.broker.bootstrap, KAFKA_TOPIC: this.topic, TOPIC_PARTITIONS: String(PARTITIONS), RATE: String(RATE), LOG_LEVEL: 'info' },
      'loadgen',
    );
    this.started.push(this.loadgen);
    await waitFor(async () => [...(await endOffsets(this.topic, PARTITIONS)).values()].every((o) => o > 0), { what: 'the load generator to produce to every partition' });
  }

  async step(step: number, fault: Fault): Promise<void> {
    const names = [...this.live.keys()];
    const victim = fault === 'broker restart' ? 'broker' : names[Math.floor(this.random() * names.length)];
    const before = this.windows.length;
    const eventsBefore = (await this.timeline()).at(-1)?.seq ?? 0;
    let result: Omit<StepResult, 'uncommitted'>;
    if (fault === 'kill -9') result = await this.kill(step, victim);
    else if (fault === 'SIGTERM and restart') result = await this.terminate(step, victim);
    else if (fault === 'SIGSTOP past the session') result = await this.pause(step, victim);
    else result = await this.restartBroker(step);
    await this.checkTimeline(step, fault, victim, eventsBefore);
    const uncommitted = this.windows.slice(before).reduce((n, w) => n + w.to - w.from, 0);
    this.steps.push({ ...result, uncommitted });
    await this.caughtUp();
    this.say(
      `  step ${step} ${fault} (${victim}): settled in ${seconds(result.settleMs)}` +
        (result.takeoverMs !== undefined ? ` after SIGCONT (the others took over ${seconds(result.takeoverMs)} after SIGSTOP; thawed, it processed ${result.afterThaw} before learning it was fenced)` : '') +
        `; ${uncommitted} processed but uncommitted at the fault` +
        (result.healthzWorstMs !== undefined ? `; slowest /healthz answer ${result.healthzWorstMs} ms` : ''),
    );
  }

  private async kill(step: number, name: string): Promise<Omit<StepResult, 'uncommitted'>> {
    const c = this.live.get(name)!;
    this.ended.add(c);
    const at = Date.now();
    c.signal('SIGKILL');
    await c.exit();
    // Nobody else commits these partitions until the session expires: this is its last commit.
    const committed = await committedOffsets(this.group, this.topic, PARTITIONS);
    this.windows.push(...uncommittedWindows(step, at, committed, processedIn(c.lines)));
    await this.startReplica(name);
    return { step, fault: 'kill -9', victim: name, settleMs: await this.settled(at, step) };
  }

  private async terminate(step: number, name: string): Promise<Omit<StepResult, 'uncommitted'>> {
    const c = this.live.get(name)!;
    this.ended.add(c);
    const at = Date.now();
    c.signal('SIGTERM');
    await c.exit(15_000).catch(() => undefined);
    const took = Date.now() - at;
    check(c.exitCode === 0 && took < 10_000, `step ${step}: ${name} exited ${c.exitCode ?? c.exitSignal} ${took} ms after SIGTERM (expected 0 within 10 s)`);
    // A graceful stop commits what was processed: it leaves no window, so any duplicate is a failure.
    await this.startReplica(name);
    return { step, fault: 'SIGTERM and restart', victim: name, settleMs: await this.settled(at, step) };
  }

  private async pause(step: number, name: string): Promise<Omit<StepResult, 'uncommitted'>> {
    const c = this.live.get(name)!;
    const stoppedAt = Date.now();
    c.signal('SIGSTOP');
    try {
      const committed = await committedOffsets(this.group, this.topic, PARTITIONS);
      const others = [...this.live.values()].filter((o) => o !== c);
      await waitForOwnership(others, PARTITIONS, { timeoutMs: SETTLE_TIMEOUT_MS });
      const takeoverMs = Date.now() - stoppedAt;
      await sleep(Math.max(0, PAUSE_MS - takeoverMs));
      const mark = c.lines.length;
      const resumedAt = Date.now();
      c.signal('SIGCONT');
      // Until it learns it was fenced, a thawed member may still process what it had fetched: the
      // window runs to its "lost" event.
      const lost = await waitFor(() => {
        const i = c.lines.findIndex((l, j) => j >= mark && l.event === 'lost');
        return i >= 0 ? i + 1 : null;
      }, { timeoutMs: 30_000, what: `${name} to count its partitions as lost after SIGCONT` });
      this.windows.push(...uncommittedWindows(step, stoppedAt, committed, processedIn(c.lines.slice(0, lost))));
      const afterThaw = processedIn(c.lines.slice(mark, lost)).length;
      return { step, fault: 'SIGSTOP past the session', victim: name, settleMs: await this.settled(resumedAt, step), takeoverMs, afterThaw };
    } finally {
      c.signal('SIGCONT');
    }
  }

  private async restartBroker(step: number): Promise<Omit<StepResult, 'uncommitted'>> {
    const committed = await committedOffsets(this.group, this.topic, PARTITIONS);
    // Liveness as Kubernetes would probe it, on every replica, through the outage.
    const probes = [...this.live.values()].map((c) => ({ name: c.name, probe: new LatencyProbe(`http://127.0.0.1:${c.port}/healthz`, { intervalMs: 50 }) }));
    const haltedAt = Date.now();
    await this.broker.halt();
    await sleep(OUTAGE_MS);
    await this.broker.restart();
    const at = Date.now();
    // Every member may have lost its place; what each processed until now may be processed again.
    const before = [...this.live.values()].flatMap((c) => processedIn(c.lines));
    this.windows.push(...uncommittedWindows(step, haltedAt, committed, before));
    const settleMs = await this.settled(at, step);
    let healthzWorstMs = 0;
    for (const { name, probe } of probes) {
      const { worstMs, failures } = await probe.stop();
      check(failures === 0, `step ${step}: ${name} failed ${failures} /healthz probes (2 s timeout) during the broker restart`);
      healthzWorstMs = Math.max(healthzWorstMs, worstMs);
    }
    return { step, fault: 'broker restart', victim: 'broker', settleMs, healthzWorstMs };
  }

  /**
   * Waits for one owner per partition among the live replicas, balanced, and for the group's
   * coordinator to say the same: the live replicas are its only members, each owning what it
   * reports. Returns ms since `from`.
   */
  private async settled(from: number, step = 0): Promise<number> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      // Short waits, with the orchestrator's liveness round between them (restartStranded).
      let replicas = [...this.live.values()];
      const owners = await waitForOwnership(replicas, PARTITIONS, { timeoutMs: Math.max(1, Math.min(LIVENESS_EVERY_MS, deadline - Date.now())) }).catch(async (err) => {
        if (Date.now() < deadline && (await this.restartStranded(step)) > 0) return null;
        if (Date.now() < deadline) return null;
        replicas = [...this.live.values()];
        throw new ChaosFailure(`the group did not settle: ${(err as Error).message}; ${this.exits()}${this.lastErrors(replicas)}`);
      });
      if (owners === null) continue;
      // An observer that stopped answering is an unexpected exit (or a hang): say so, not "disagrees".
      this.checkNoUnexpectedExit();
      const coordinator = await observed(this.observer!, this.group).catch(() => undefined);
      // By client id (each replica's name), not the observer's display name: see ownersByClientId.
      const members = (coordinator?.members ?? []).map((m) => m.clientId).sort();
      const byCoordinator = ownersByClientId(coordinator);
      const agrees = members.join() === [...owners.keys()].sort().join() && [...owners].every(([name, ps]) => ps.every((p) => byCoordinator.get(p) === name));
      if (agrees) break;
      if (Date.now() > deadline) {
        throw new ChaosFailure(
          `the coordinator never agreed with the replicas: replicas ${JSON.stringify([...owners])}, coordinator members ${JSON.stringify(members)}, ` +
            `owners ${JSON.stringify([...byCoordinator])}; ${this.exits()}`,
        );
      }
      await sleep(100);
    }
    const ms = Date.now() - from;
    this.checkNoUnexpectedExit();
    return ms;
  }

  /**
   * librdkafka 2.12.0 can drop every broker for good when a broker shuts down
   * (confluentinc/librdkafka#5301, docs/design.md): the replica then fails its liveness probe
   * (/healthz 503). An orchestrator (Kubernetes' liveness probe, Swarm's health check) restarts
   * such a replica, and so does this: like a kill, what it processed since its last commit may be
   * processed again. Returns how many were restarted.
   */
  private async restartStranded(step: number): Promise<number> {
    let restarted = 0;
    for (const [name, c] of [...this.live]) {
      const status = await fetch(`http://127.0.0.1:${c.port}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
      if (status !== 503) continue;
      const stranded = c.lines.some((l) => l.level === 'error' && /dropped every broker/.test(String(l.msg)));
      check(stranded, `step ${step}: ${name} failed its liveness probe without saying librdkafka left it with no broker: ${this.lastErrors([c])}`);
      this.ended.add(c);
      const at = Date.now();
      c.signal('SIGKILL');
      await c.exit();
      const committed = await committedOffsets(this.group, this.topic, PARTITIONS);
      this.windows.push(...uncommittedWindows(step, at, committed, processedIn(c.lines)));
      this.strandedRestarts.push(`step ${step}: ${name}`);
      this.say(`  step ${step}: ${name} was left with no broker by librdkafka (#5301) and failed its liveness probe; restarted, as an orchestrator would`);
      await this.startReplica(name);
      restarted++;
    }
    return restarted;
  }

  /** The observer's rebalance timeline of this run's group (GET /groups/events), after event `after`. */
  private async timeline(after = 0): Promise<{ seq: number; type: string; clientId?: string; member?: string; at: string }[]> {
    const res = await fetch(`http://127.0.0.1:${this.observer!.port}/groups/events?group=${encodeURIComponent(this.group)}&after=${after}`);
    return ((await res.json()) as { events: { seq: number; type: string; clientId?: string; member?: string; at: string }[] }).events;
  }

  /**
   * Issue 20: every membership change this step caused is on the observer's timeline once, and no
   * other: the victim left once and joined once (a graceful stop in that order), nobody else came
   * or went. A broker restart may cost any member its place, so it is only reported.
   */
  private async checkTimeline(step: number, fault: Fault, victim: string, after: number): Promise<void> {
    const read = async () => (await this.timeline(after)).filter((e) => e.type.startsWith('member-'));
    if (fault !== 'broker restart') {
      // A graceful leave and rejoin can settle within 0.4 s, before the observer's next poll
      // (250 ms apart, each taking what Kafka takes to answer): wait for the victim's two events
      // as long as the goal allows (2 s after the coordinator knew, plus a poll), then one poll
      // more, for an event that should not be there.
      await waitFor(
        async () => {
          const mine = (await read()).filter((e) => e.clientId === victim).map((e) => e.type);
          return mine.includes('member-left') && mine.includes('member-joined');
        },
        { timeoutMs: TIMELINE_WAIT_MS, intervalMs: 100, what: 'the timeline' },
      ).catch(() => undefined);
      await sleep(TEST_OBSERVER_INTERVAL_MS * 2);
    }
    const membership = await read();
    const shown = membership.map((e) => `${e.type} ${e.clientId}`).join(', ') || 'none';
    if (fault === 'broker restart') {
      this.say(`step ${step}: timeline: ${shown}`);
      return;
    }
    const mine = membership.filter((e) => e.clientId === victim).map((e) => e.type);
    const others = membership.filter((e) => e.clientId !== victim);
    check(
      mine.filter((t) => t === 'member-left').length === 1 && mine.filter((t) => t === 'member-joined').length === 1 && mine.length === 2 && others.length === 0,
      `step ${step} (${fault} of ${victim}): the observer's timeline shows ${shown}; expected ${victim} to leave once and join once, nobody else`,
    );
    if (fault === 'SIGTERM and restart') check(mine[0] === 'member-left', `step ${step}: ${victim} joined before it left on the timeline: ${shown}`);
  }

  /** After a step: what was produced until now gets processed, and no committed offset went back. */
  private async caughtUp(): Promise<void> {
    const ends = await endOffsets(this.topic, PARTITIONS);
    await waitFor(() => missingOffsets(processings(this.records()), ends).length === 0, { timeoutMs: 30_000, intervalMs: 250, what: 'the group to process what was produced' }).catch(() => {
      const gone = missingOffsets(processings(this.records()), ends);
      throw new ChaosFailure(`${gone.length} produced messages not processed 30 s after the group settled, e.g. ${gone.slice(0, 8).join(', ')}`);
    });
    const committed = await committedOffsets(this.group, this.topic, PARTITIONS);
    for (const [p, o] of this.committed) check((committed.get(p) ?? -1) >= o, `partition ${p}: the committed offset went back from ${o} to ${committed.get(p)}`);
    this.committed = committed;
    this.checkNoUnexpectedExit();
  }

  private consumers(): ConsumerProcess[] {
    return this.started.filter((c) => c !== this.loadgen && c !== this.observer);
  }

  private records(): ProcessedRecord[] {
    return this.consumers().flatMap((c) => processedIn(c.lines));
  }

  private unexpectedExits(): ConsumerProcess[] {
    return this.started.filter((c) => !this.ended.has(c) && (c.exitCode !== null || c.exitSignal !== null));
  }

  private checkNoUnexpectedExit(): void {
    check(this.unexpectedExits().length === 0, `unexpected exit: ${this.exits()}`);
  }

  /** Each replica's last error line, if any: a replica that cannot rejoin usually says why (e.g. librdkafka issue #5301). */
  private lastErrors(replicas: ConsumerProcess[]): string {
    const said = replicas.flatMap((c) => {
      const last = c.lines.filter((l) => l.level === 'error').at(-1);
      return last ? [`${c.name}: ${last.msg}`] : [];
    });
    return said.length === 0 ? '' : `; last errors logged: ${said.join('; ')}`;
  }

  private exits(): string {
    const gone = this.unexpectedExits();
    return gone.length === 0 ? 'no unexpected exit' : gone.map((c) => `${c.name} pid ${c.pid} exited ${c.exitCode ?? c.exitSignal}: ${c.stderr.slice(0, 300)} ${JSON.stringify(c.lines.filter((l) => l.level === 'fatal' || l.level === 'error').slice(-3))}`).join('; ');
  }

  /** Stops production and every replica gracefully, then audits everything that was processed. */
  async finish(): Promise<AuditResult> {
    const loadgen = this.loadgen!;
    this.ended.add(loadgen);
    loadgen.signal('SIGTERM');
    await loadgen.exit();
    check(loadgen.exitCode === 0, `the load generator exited ${loadgen.exitCode ?? loadgen.exitSignal}`);
    await this.caughtUp();
    const ends = await endOffsets(this.topic, PARTITIONS);
    for (const c of this.live.values()) {
      this.ended.add(c);
      c.signal('SIGTERM');
    }
    for (const c of this.live.values()) {
      await c.exit();
      check(c.exitCode === 0, `${c.name} exited ${c.exitCode ?? c.exitSignal} on the final SIGTERM`);
    }
    const observer = this.observer!;
    this.ended.add(observer);
    observer.signal('SIGTERM');
    await observer.exit();
    check(observer.exitCode === 0, `the observer exited ${observer.exitCode ?? observer.exitSignal}`);

    const verdict = audit(this.records(), ends, this.windows);
    check(verdict.missing.length === 0, `${verdict.missing.length} messages never processed, e.g. ${verdict.missing.slice(0, 8).join(', ')}`);
    check(
      verdict.unexplained.length === 0,
      `${verdict.unexplained.length} offsets processed more often than a fault allows, e.g. ${verdict.unexplained.slice(0, 8).join(', ')} (windows: ${JSON.stringify(this.windows.slice(0, 12))})`,
    );
    const consumers = this.consumers();
    const gaps = consumers.flatMap((c) => c.lines.filter((l) => l.msg.startsWith('sequence gap')).map((l) => `${c.name}: partition ${l.partition} offset ${l.offset}`));
    check(gaps.length === 0, `sequence gaps reported: ${gaps.slice(0, 5).join('; ')}`);
    const fatal = consumers.flatMap((c) => c.lines.filter((l) => l.level === 'fatal').map((l) => `${c.name}: ${l.msg}`));
    check(fatal.length === 0, `fatal errors logged: ${fatal.join('; ')}`);
    // Kafka's system test after clean bounces: the committed position is what was consumed.
    const committed = await committedOffsets(this.group, this.topic, PARTITIONS);
    for (const [p, end] of ends) check(committed.get(p) === end, `partition ${p}: committed ${committed.get(p)} after the final stop, end offset ${end}`);
    return verdict;
  }

  /**
   * Every process's log lines (one JSON line each, as it printed them) and its stderr, one file per
   * process in `dir`: a failure is read from the consumers' rebalance lines around the fault, which
   * the run otherwise keeps only in memory.
   */
  saveLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    this.started.forEach((c, k) => {
      const base = path.join(dir, `${String(k + 1).padStart(2, '0')}-${c.name}-pid${c.pid}`);
      writeFileSync(`${base}.log`, c.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      if (c.stderr !== '') writeFileSync(`${base}.stderr`, c.stderr);
    });
  }

  async cleanUp(): Promise<void> {
    for (const c of this.started) {
      c.signal('SIGCONT');
      await c.kill();
    }
  }
}

/** Per kind of fault: how often, time to settle, work left uncommitted, duplicates it caused. */
function perFault(steps: StepResult[], verdict: AuditResult): string[] {
  return FAULTS.filter((f) => steps.some((s) => s.fault === f)).map((fault) => {
    const mine = steps.filter((s) => s.fault === fault);
    const settle = mine.map((s) => s.settleMs);
    const duplicates = mine.reduce((n, s) => n + (verdict.duplicatesByStep.get(s.step) ?? 0), 0);
    const range = (xs: number[]) => {
      const [lo, hi] = [seconds(Math.min(...xs)), seconds(Math.max(...xs))];
      return lo === hi ? lo : `${lo.replace(' s', '')}-${hi}`;
    };
    const takeover = mine.flatMap((s) => (s.takeoverMs === undefined ? [] : [s.takeoverMs]));
    const healthz = mine.flatMap((s) => (s.healthzWorstMs === undefined ? [] : [s.healthzWorstMs]));
    return (
      `  ${fault} x${mine.length}: settled in ${range(settle)}` +
      (takeover.length > 0 ? ` (takeover ${range(takeover)})` : '') +
      `, uncommitted ${mine.reduce((n, s) => n + s.uncommitted, 0)}, duplicates ${duplicates}` +
      (healthz.length > 0 ? `, slowest /healthz ${Math.max(...healthz)} ms` : '')
    );
  });
}

function parseList<T extends string>(name: string, raw: string | undefined, accepted: readonly T[], fallback: readonly T[]): T[] {
  if (raw === undefined || raw === '') return [...fallback];
  const items = raw.split(',').map((s) => s.trim());
  const bad = items.filter((s) => !accepted.includes(s as T));
  if (bad.length > 0) throw new UsageError(`${name}=${raw} is not accepted: expected a comma-separated list of ${accepted.join(', ')}`);
  return items as T[];
}

function parseCount(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`${name}=${raw} is not accepted: expected a whole number of at least 1`);
  return Number(raw);
}

async function main(): Promise<void> {
  const seed = parseCount('CHAOS_SEED', process.env.CHAOS_SEED, 1 + Math.floor(Math.random() * 999_999));
  const protocols = parseList('CHAOS_PROTOCOLS', process.env.CHAOS_PROTOCOLS, ['classic', 'consumer'] as const, ['classic', 'consumer']);
  const kinds = faultsNamed(parseList('CHAOS_FAULTS', process.env.CHAOS_FAULTS, FAULT_NAMES, FAULT_NAMES));
  // Each fault twice per protocol by default.
  const stepCount = parseCount('CHAOS_STEPS', process.env.CHAOS_STEPS, 2 * FAULTS.length);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const only = process.env.CHAOS_FAULTS ? `, faults ${kinds.join(', ')}` : '';
  say(`chaos: seed ${seed}, protocols ${protocols.join(', ')}${only}, ${stepCount} steps each; replay with CHAOS_SEED=${seed} npm run chaos`);

  const broker = await startBroker();
  process.env.KAFKA_BROKERS = broker.bootstrap;
  const started = Date.now();
  let failed = false;
  try {
    for (const protocol of protocols) {
      // Each protocol its own sequence, so that CHAOS_PROTOCOLS=consumer replays the same steps.
      const random = seededRandom(seed + (protocol === 'classic' ? 0 : 1));
      const faults = faultOrder(kinds, stepCount, random);
      say(`chaos: GROUP_PROTOCOL=${protocol}: ${faults.join(', ')}`);
      const run = new ChaosRun(broker, protocol, random, say);
      const runStarted = Date.now();
      try {
        await run.setUp();
        for (const [k, fault] of faults.entries()) await run.step(k + 1, fault);
        const v = await run.finish();
        const worst = run.steps.reduce((w, s) => (s.settleMs > w.settleMs ? s : w));
        for (const line of perFault(run.steps, v)) say(line);
        say(
          `chaos: GROUP_PROTOCOL=${protocol} passed: ${run.steps.length} steps, ${v.messages} messages, all processed; ` +
            `${v.duplicates} duplicates, within the ${v.allowed} the faults left uncommitted; worst time to settle ${seconds(worst.settleMs)} (${worst.fault}); ` +
            (run.strandedRestarts.length > 0 ? `${run.strandedRestarts.length} replica(s) restarted after librdkafka#5301 left them with no broker (${run.strandedRestarts.join(', ')}); ` : '') +
            `${seconds(Date.now() - runStarted)}`,
        );
      } catch (err) {
        failed = true;
        say(`chaos: GROUP_PROTOCOL=${protocol} FAILED: ${(err as Error).message}`);
        if (!(err instanceof ChaosFailure)) say(String((err as Error).stack));
        const logs = path.join(path.dirname(broker.logFile), `chaos-${protocol}-logs`);
        try {
          run.saveLogs(logs);
        } catch (e) {
          say(`chaos: could not save the processes' logs to ${logs}: ${(e as Error).message}`);
        }
        const narrowed = process.env.CHAOS_FAULTS ? ` CHAOS_FAULTS=${process.env.CHAOS_FAULTS}` : '';
        say(`chaos: replay with CHAOS_SEED=${seed} CHAOS_PROTOCOLS=${protocol}${narrowed} npm run chaos; broker log ${broker.logFile}; every process's log in ${logs}`);
      } finally {
        await run.cleanUp();
      }
    }
  } finally {
    if (!failed) await broker.stop();
    else await broker.halt();
  }
  say(`chaos: ${failed ? 'FAILED' : 'passed'} in ${seconds(Date.now() - started)} (seed ${seed})`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof UsageError ? err.message : ((err as Error).stack ?? err)}\n`);
  process.exit(2);
});
