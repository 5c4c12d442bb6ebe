/**
 * `npm run bench:rebalance`: the same scenario under each way Kafka can rebalance a group, measured
 * from the consumers' own per-message audit lines (LOG_LEVEL=trace) against a real broker.
 *
 * Scenario: 3 consumers on 12 partitions at a steady rate; then a 4th joins, it leaves gracefully,
 * one is killed with SIGKILL, and (static membership only) one is restarted within the session
 * timeout. For each event:
 *   recovery   time from the event until the last interrupted partition is consumed again (an
 *              interruption: no message processed for over 200 ms; 0 if nothing stopped);
 *   stop-world the longest silence on a partition that kept its owner;
 *   moved      partitions whose owner changed;
 *   redelivered messages processed more than once around the event;
 *   member pause the longest pause a member reported itself (pausedMs of its assign log line, the
 *              same figure as lab_consumer_rebalance_pause_seconds): exact, not bounded by the floor;
 *   baseline   the longest silence on any partition in the 3 s before the event: the floor
 *              below which the other times say nothing (messages arrive in small bursts).
 *   pauses     per partition (pause.ts): for each handover, the old owner's last processed message
 *              to the new owner's first; for each partition that kept its owner, its longest
 *              silence and whether that exceeds the floor; moved partitions nobody resumed
 *              (orphans) or that the old owner never processed (unanchored) are listed, not
 *              dropped. p50/p99 per event. Times are the audit lines' pino `time` (Date.now() of
 *              each consumer process, 1 ms resolution; one machine, one clock).
 *   broker     the group coordinator's own counters and state gauges over the same window, sampled
 *              over JMX (broker-figures.ts), when the bench starts its own broker.
 * Prints two tables and writes bench/results/rebalance-<date>.json and rebalance-latest.json;
 * BENCH_DEBUG_DIR=<existing dir> also keeps each event's audit records and JMX samples there.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startBroker, type Broker } from '../../test/support/broker';
import { ConsumerProcess } from '../../test/support/consumer-process';
import { LabProducer, createTopic, uniqueName } from '../../test/support/kafka';
import { duplicates, processedCounts, waitForOwnership } from '../../test/support/group';
import { waitFor } from '../../test/support/wait';
import { partitionPauses, summarize, type Handover, type KeptPartition, type Orphan, type Unanchored, type PauseSummary, type ProcessedAt } from './pause';
import { BrokerJmxSampler, brokerFigures, type BrokerFigures } from './broker-figures';

const PARTITIONS = 12;
const RATE_PER_PARTITION = Number(process.env.BENCH_RATE_PER_PARTITION ?? 50); // messages/s
const SESSION_TIMEOUT_MS = 6000; // the test broker's group.consumer.session.timeout.ms is 6000 too
const SETTLE_MS = 2000;
const INTERRUPTION_MS = 200;

interface Variant {
  name: string;
  env: Record<string, string>;
  staticMembership: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'classic, range (eager)', env: { ASSIGNMENT_STRATEGY: 'range' }, staticMembership: false },
  { name: 'classic, cooperative-sticky', env: { ASSIGNMENT_STRATEGY: 'cooperative-sticky' }, staticMembership: false },
  { name: 'classic, cooperative-sticky, static', env: { ASSIGNMENT_STRATEGY: 'cooperative-sticky', STATIC_MEMBERSHIP: 'on' }, staticMembership: true },
  { name: 'consumer (KIP-848)', env: { GROUP_PROTOCOL: 'consumer' }, staticMembership: false },
  { name: 'consumer (KIP-848), static', env: { GROUP_PROTOCOL: 'consumer', STATIC_MEMBERSHIP: 'on' }, staticMembership: true },
];

interface EventResult {
  variant: string;
  event: string;
  recoveryMs: number;
  stopTheWorldMs: number;
  moved: number;
  redelivered: number;
  /** The longest silence on any partition in the 3 s before the event: the measurement's floor. */
  baselineGapMs: number;
  /** The longest pause any member reported itself for this event (its assign lines' pausedMs). */
  memberPauseMs: number;
  pauses: PauseSummary;
  handovers: Handover[];
  orphans: Orphan[];
  unanchored: Unanchored[];
  kept: KeptPartition[];
  /** The group coordinator's figures over the event's window; null when the broker is not ours. */
  broker: BrokerFigures | null;
  note?: string;
}

let jmx: BrokerJmxSampler | null = null;

interface Processed {
  t: number;
  partition: number;
  partitionSeq: number;
}

function audit(consumers: ConsumerProcess[]): Map<string, Processed[]> {
  const out = new Map<string, Processed[]>();
  for (const c of consumers) {
    const list = out.get(c.name) ?? [];
    for (const l of c.lines) {
      if (l.msg === 'processed' && typeof l.partitionSeq === 'number') {
        list.push({ t: Date.parse(l.time as string), partition: l.partition as number, partitionSeq: l.partitionSeq as number });
      }
    }
    out.set(c.name, list);
  }
  return out;
}

/** A steady producer: RATE_PER_PARTITION messages a second on every partition, until stopped. */
function steadyLoad(producer: LabProducer): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    // Paced on elapsed time: each produce() waits for acknowledgement, so ticks are uneven.
    const started = Date.now();
    let sent = 0;
    while (running) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE_PER_PARTITION) - sent;
      if (due > 0) {
        await producer.produce(PARTITIONS, due);
        sent += due;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function owners(consumers: ConsumerProcess[]): Promise<Map<number, string>> {
  const m = new Map<number, string>();
  for (const c of consumers) for (const p of (await c.owned()) ?? []) m.set(p, c.name);
  return m;
}

/** The longest interval without a processed message on any partition, within [from, to]. */
function longestGap(lists: Map<string, Processed[]>, from: number, to: number): number {
  let longest = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const times: number[] = [];
    for (const list of lists.values()) for (const m of list) if (m.partition === p && m.t >= from && m.t <= to) times.push(m.t);
    times.sort((x, y) => x - y);
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  }
  return longest;
}

async function measure(
  variant: Variant,
  event: string,
  group: ConsumerProcess[],
  act: () => Promise<{ members: ConsumerProcess[]; note?: string }>,
  timeoutMs: number,
  everyProcess: ConsumerProcess[],
): Promise<EventResult> {
  const before = await owners(group);
  const t0 = Date.now();
  const baselineGapMs = longestGap(audit(group), t0 - 3000, t0);
  const { members, note } = await act();
  await waitForOwnership(members, PARTITIONS, { timeoutMs });
  const settledAt = Date.now();
  const everyone = [...new Set([...group, ...members])];
  // Every partition has processed something since ownership settled: the window is complete.
  await waitFor(
    () => {
      const seen = new Set<number>();
      for (const list of audit(everyone).values()) for (const m of list) if (m.t > settledAt) seen.add(m.partition);
      return seen.size === PARTITIONS;
    },
    { timeoutMs, what: `every partition consuming again after "${event}"` },
  );
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = await owners(members);
  const moved = [...after].filter(([p, o]) => before.get(p) !== o).length;

  // Per partition, processing times (by whoever owned it) from the event on. An interruption is a
  // silence longer than INTERRUPTION_MS (messages arrive every 1000/RATE_PER_PARTITION ms).
  // recovery: when the last interrupted partition resumed; stop-the-world: the longest silence on a
  // partition that kept its owner.
  const lists = audit(everyone);
  const windowEnd = Date.now();
  let resumedAt = t0;
  let stopTheWorldMs = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const times: number[] = [];
    for (const list of lists.values()) for (const m of list) if (m.partition === p && m.t >= t0 - 1000 && m.t <= windowEnd) times.push(m.t);
    times.sort((x, y) => x - y);
    const kept = before.get(p) === after.get(p);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i] - times[i - 1];
      if (gap <= INTERRUPTION_MS || times[i] < t0) continue;
      resumedAt = Math.max(resumedAt, times[i]);
      if (kept) stopTheWorldMs = Math.max(stopTheWorldMs, gap);
    }
  }

  // Duplicates over every process this variant started, killed ones included.
  const redelivered = duplicates(processedCounts(everyProcess));
  const recoveredAt = resumedAt;

  let memberPauseMs = 0;
  for (const c of everyProcess) {
    for (const l of c.lines) {
      if (l.event === 'assign' && typeof l.pausedMs === 'number' && Date.parse(l.time as string) >= t0) memberPauseMs = Math.max(memberPauseMs, l.pausedMs);
    }
  }
  const flat: ProcessedAt[] = [];
  for (const [consumer, list] of lists) for (const m of list) flat.push({ consumer, partition: m.partition, t: m.t });
  const pp = partitionPauses(flat, { partitions: PARTITIONS, eventAt: t0, endAt: windowEnd, ownersBefore: before, ownersAfter: after, floorMs: baselineGapMs });
  const broker = jmx ? brokerFigures(jmx.samples(), t0, windowEnd) : null;
  if (process.env.BENCH_DEBUG_DIR) {
    const f = path.join(process.env.BENCH_DEBUG_DIR, `${variant.name}-${event}.json`.replace(/[^a-zA-Z0-9.-]+/g, '_'));
    writeFileSync(f, JSON.stringify({ t0, windowEnd, before: [...before], after: [...after], records: flat, jmx: jmx?.samples().filter((x) => x.t >= t0 - 3000 && x.t <= windowEnd) }));
  }
  return {
    variant: variant.name, event, recoveryMs: recoveredAt - t0, stopTheWorldMs, moved, redelivered, baselineGapMs, memberPauseMs,
    pauses: summarize(pp), handovers: pp.handovers, orphans: pp.orphans, unanchored: pp.unanchored, kept: pp.kept, broker, note,
  };
}

async function runVariant(v: Variant): Promise<EventResult[]> {
  const topic = uniqueName('bench-rebalance');
  await createTopic(topic, PARTITIONS);
  const classic = v.env.GROUP_PROTOCOL !== 'consumer';
  const env = {
    ...v.env,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: uniqueName('g'),
    PROCESSING_MS: '1',
    ...(classic ? { SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), HEARTBEAT_INTERVAL_MS: '1000' } : {}),
  };
  const producer = await LabProducer.connect(topic);
  const load = steadyLoad(producer);
  const all: ConsumerProcess[] = [];
  const start = async (name: string) => {
    const c = await ConsumerProcess.start(name, env);
    all.push(c);
    return c;
  };
  const results: EventResult[] = [];
  let prevDupes = 0;
  const record = (r: EventResult) => {
    // Redeliveries are cumulative in the audit; report each event's own.
    results.push({ ...r, redelivered: r.redelivered - prevDupes });
    prevDupes = r.redelivered;
  };
  try {
    const group = [await start('c1'), await start('c2'), await start('c3')];
    await waitForOwnership(group, PARTITIONS, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const timeout = SESSION_TIMEOUT_MS + 30_000;

    record(await measure(v, 'scale up 3 -> 4', group, async () => ({ members: [...group, await start('c4')] }), timeout, all));
    const four = [...group, all.find((c) => c.name === 'c4')!];
    record(await measure(v, 'graceful stop 4 -> 3', four, async () => {
      const c4 = four[3];
      c4.signal('SIGTERM');
      await c4.exit();
      return { members: group };
    }, timeout, all));
    if (v.staticMembership) {
      // A static member that leaves does not leave the group: without a restart its partitions
      // wait for the session timeout. That is the point of this event.
      let refused = false;
      record(await measure(v, 'restart within session timeout', group, async () => {
        group[2].signal('SIGKILL');
        await group[2].exit();
        const again = await start('c3');
        // Under KIP-848 the broker refuses the same instance id until the old session expires,
        // and librdkafka treats that as fatal: the restarted process exits 3 at once.
        await waitFor(async () => again.exitCode !== null || (await again.readyz().catch(() => 0)) === 200, { timeoutMs: 20_000, what: 'c3 to rejoin or fail' });
        if (again.exitCode !== null) {
          refused = true;
          return { members: [group[0], group[1]], note: 'restarted member refused (instance id still in use); its partitions moved after the session timeout' };
        }
        return { members: [group[0], group[1], again] };
      }, timeout, all));
      if (refused) group.splice(2, 1);
      else group[2] = all[all.length - 1];
    }
    record(await measure(v, `kill -9 one of ${group.length}`, group, async () => {
      group[0].signal('SIGKILL');
      await group[0].exit();
      return { members: group.slice(1) };
    }, timeout, all));
    return results;
  } finally {
    await load.stop();
    await producer.close();
    await Promise.all(all.map((c) => c.kill()));
  }
}

function table(rows: EventResult[]): string {
  const head = ['protocol', 'event', 'recovery ms', 'member pause ms', 'stop-the-world ms', 'baseline gap ms', 'moved', 'redelivered', 'note'];
  const body = rows.map((r) => [r.variant, r.event, String(r.recoveryMs), String(Math.round(r.memberPauseMs * 10) / 10), String(r.stopTheWorldMs), String(r.baselineGapMs), String(r.moved), String(r.redelivered), r.note ?? '']);
  return render(head, body);
}

function render(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const ms = (v: number | null) => (v === null ? '-' : String(v));

/** The pause each partition felt, beside the broker's own figures. */
function pauseTable(rows: EventResult[]): string {
  const head = ['protocol', 'event', 'handovers', 'handover pause p50 / p99 ms', 'not resumed / no old start', 'kept stopped / kept', 'kept silence p50 / p99 ms', 'floor ms', 'broker rebalances', 'broker rebalancing ms'];
  const body = rows.map((r) => {
    const p = r.pauses;
    const b = r.broker;
    return [
      r.variant, r.event, String(p.handovers), `${ms(p.handoverP50Ms)} / ${ms(p.handoverP99Ms)}`, `${p.orphans} / ${p.unanchored}`, `${p.keptStopped} / ${p.kept}`,
      `${ms(p.keptSilenceP50Ms)} / ${ms(p.keptSilenceP99Ms)}`, String(r.baselineGapMs),
      b ? `${b.classicRebalances} classic, ${b.consumerGroupRebalances} KIP-848` : 'n/a',
      b ? `${b.classicRebalancingMs} classic, ${b.consumerReconcilingMs} KIP-848` : 'n/a',
    ];
  });
  return render(head, body);
}

async function main(): Promise<void> {
  let broker: Broker | null = null;
  if (!process.env.KAFKA_BROKERS) {
    const jmxPort = await freePort();
    broker = await startBroker({ jmxPort });
    process.env.KAFKA_BROKERS = broker.bootstrap;
    const libs = execFileSync(path.resolve(__dirname, '../../../scripts/kafka-jars.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    jmx = BrokerJmxSampler.start(libs, jmxPort);
    try {
      await waitFor(() => jmx!.samples().length > 0, { timeoutMs: 60_000, what: "JmxTool's first sample of the broker's group coordinator metrics" });
    } catch (err) {
      // The broker's figures are a comparison, not the measurement: go on without them.
      process.stderr.write(`# no broker figures: ${err instanceof Error ? err.message : String(err)}\n`);
      await jmx.stop();
      jmx = null;
    }
  }
  const loadAverageAtStart = os.loadavg();
  const only = process.env.BENCH_VARIANTS?.split(',').map((s) => s.trim());
  const rows: EventResult[] = [];
  try {
    for (const v of VARIANTS.filter((x) => !only || only.some((o) => x.name.includes(o)))) {
      process.stderr.write(`# ${v.name}\n`);
      rows.push(...(await runVariant(v)));
    }
  } finally {
    await jmx?.stop();
    await broker?.stop();
  }
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
  const load = os.loadavg().map((x) => x.toFixed(1)).join(', ');
  process.stdout.write(`${table(rows)}\n\n${pauseTable(rows)}\n\nload average at the end: ${load}\nmachine: ${machine}; ${PARTITIONS} partitions, ${RATE_PER_PARTITION} msg/s per partition, session timeout ${SESSION_TIMEOUT_MS} ms\n`);
  const dir = path.resolve(__dirname, '../../../bench/results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ date: new Date().toISOString(), machine, loadAverageAtEnd: os.loadavg(), loadAverageAtStart, partitions: PARTITIONS, ratePerPartition: RATE_PER_PARTITION, sessionTimeoutMs: SESSION_TIMEOUT_MS, results: rows }, null, 2);
  writeFileSync(path.join(dir, `rebalance-${new Date().toISOString().slice(0, 10)}.json`), json + '\n');
  writeFileSync(path.join(dir, 'rebalance-latest.json'), json + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
