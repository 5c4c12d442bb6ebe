/**
 * The broker's own view of rebalances, read over JMX with Kafka's JmxTool (from the jars the test
 * broker runs on) while the bench runs: one JVM sampling every SAMPLE_MS, not one per event.
 *
 * What Kafka 4.x exports (checked against the 4.3.1 broker): counters for the whole coordinator,
 * not per group: `group-completed-rebalance-count` (classic groups) and
 * `consumer-group-rebalance-count` (KIP-848 groups: every bump of a group's epoch), and gauges of
 * how many groups are in each state (classic PreparingRebalance / CompletingRebalance, KIP-848
 * Assigning / Reconciling). No rebalance duration is exported; the time a gauge stayed above zero
 * is the nearest thing, at the sampling resolution.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const SAMPLE_MS = 250;

const COLUMNS = {
  classicCompleted: 'kafka.server:type=group-coordinator-metrics:group-completed-rebalance-count',
  consumerRebalances: 'kafka.server:type=group-coordinator-metrics:consumer-group-rebalance-count',
  preparing: 'kafka.coordinator.group:type=GroupMetadataManager,name=NumGroupsPreparingRebalance:Value',
  completing: 'kafka.coordinator.group:type=GroupMetadataManager,name=NumGroupsCompletingRebalance:Value',
  assigning: 'kafka.server:type=group-coordinator-metrics,state=Assigning:consumer-group-count',
  reconciling: 'kafka.server:type=group-coordinator-metrics,state=Reconciling:consumer-group-count',
} as const;
type Column = keyof typeof COLUMNS;

export type Sample = { t: number } & Record<Column, number>;

/** Parses JmxTool's CSV (a quoted header line, then one line per sample); unknown columns are ignored. */
export function parseJmxCsv(text: string): Sample[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const headerAt = lines.findIndex((l) => l.startsWith('"time"'));
  if (headerAt < 0) return [];
  // Column names hold commas themselves (type=...,name=...): split the quoted header on '","'.
  const header = lines[headerAt].replace(/^"|"$/g, '').split('","');
  const index = Object.fromEntries(Object.entries(COLUMNS).map(([k, name]) => [k, header.indexOf(name)])) as Record<Column, number>;
  const out: Sample[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    const cells = line.split(',');
    const t = Number(cells[0]);
    if (!Number.isFinite(t)) continue;
    const s = { t } as Sample;
    for (const k of Object.keys(COLUMNS) as Column[]) s[k] = index[k] < 0 ? NaN : Number(cells[index[k]]);
    out.push(s);
  }
  return out;
}

export interface BrokerFigures {
  /** Increase of group-completed-rebalance-count over the window (classic groups). */
  classicRebalances: number;
  /** Increase of consumer-group-rebalance-count (KIP-848 group epoch bumps). */
  consumerGroupRebalances: number;
  /** How long some classic group was in PreparingRebalance or CompletingRebalance, at SAMPLE_MS resolution. */
  classicRebalancingMs: number;
  /** How long some KIP-848 group was Assigning or Reconciling, at SAMPLE_MS resolution. */
  consumerReconcilingMs: number;
  samples: number;
}

/** The broker's figures over [from, to]: counter increases, and sampled time in a rebalancing state. */
export function brokerFigures(samples: readonly Sample[], from: number, to: number): BrokerFigures | null {
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  // The last sample before the window is the baseline the counters grow from.
  const before = samples.filter((s) => s.t < from).pop() ?? inside[0];
  const last = inside[inside.length - 1];
  if (!before || !last) return null;
  const timeWhere = (pred: (s: Sample) => boolean) => {
    let ms = 0;
    for (let i = 0; i < inside.length; i++) {
      if (!pred(inside[i])) continue;
      const next = inside[i + 1]?.t ?? to;
      ms += Math.min(next - inside[i].t, 2 * SAMPLE_MS);
    }
    return ms;
  };
  return {
    classicRebalances: last.classicCompleted - before.classicCompleted,
    consumerGroupRebalances: last.consumerRebalances - before.consumerRebalances,
    classicRebalancingMs: timeWhere((s) => s.preparing + s.completing > 0),
    consumerReconcilingMs: timeWhere((s) => s.assigning + s.reconciling > 0),
    samples: inside.length,
  };
}

/** Runs JmxTool against the broker's JMX port until stopped; `samples()` is what it has reported so far. */
export class BrokerJmxSampler {
  private text = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => (this.text += chunk));
  }

  static start(kafkaLibs: string, jmxPort: number): BrokerJmxSampler {
    const args = ['-cp', `${path.join(kafkaLibs, '*')}`, 'org.apache.kafka.tools.JmxTool', '--jmx-url', `service:jmx:rmi:///jndi/rmi://127.0.0.1:${jmxPort}/jmxrmi`];
    for (const name of new Set(Object.values(COLUMNS).map((c) => c.slice(0, c.lastIndexOf(':'))))) args.push('--object-name', name);
    args.push('--reporting-interval', String(SAMPLE_MS));
    return new BrokerJmxSampler(spawn('java', ['-Xmx128m', ...args], { stdio: ['ignore', 'pipe', 'ignore'] }));
  }

  samples(): Sample[] {
    return parseJmxCsv(this.text);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
