import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RebalanceEventType } from './assignment';
import type { InvalidReason } from './lab-message';
import type { PartitionOffsets } from './stats';
import type { LifecycleState } from './lifecycle';
import { LIFECYCLE_STATES } from './lifecycle';
import { BucketHistogram } from './bucket-histogram';
import { CONSUME_HANDOFFS, type ConsumeHandoff } from './consume-handoff';

type PartitionLabels = 'topic' | 'partition';

export interface ConsumerIdentity {
  name: string;
  group: string;
  topic: string;
  clientId: string;
  groupProtocol: string;
  assignmentStrategy: string;
}

/**
 * The per-message counters of one partition: plain numbers on the hot path, handed to prom-client
 * only when a scrape reads them (prom-client hashes the label set on every inc()).
 */
export interface PartitionCounters {
  processed: number;
  redeliveries: number;
  gaps: number;
}

interface Pending extends PartitionCounters {
  labels: Record<string, string>;
}

/**
 * How long a revoked partition's processed offset stays exported. The messages processed between
 * the last scrape and the revocation are in the processed counter at the next scrape; the Duplicates
 * stat counts them as new only if that scrape shows the offset they moved the frontier to as well.
 * Longer than any sensible scrape interval (Prometheus' default is one minute).
 */
const FRONTIER_LINGER_MS = 60_000;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const PROCESSING_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Every metric the consumer exports. The `consumer` label (the readable replica name) is added to
 * all of them as a default label, so each replica's series stay apart after Prometheus merges them.
 */
export class ConsumerMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<number, Pending>();
  private readonly perPartition: boolean;
  /** Revoked partitions whose last processed offset is still exported, with when they were revoked. */
  private readonly revokedFrontiers = new Map<number, number>();
  private stateNow: () => { state: LifecycleState; ready: boolean } = () => ({ state: 'starting', ready: false });
  private frontier: (partition: number) => number | null = () => null;

  private readonly info: Gauge<'group' | 'topic' | 'client_id' | 'group_protocol' | 'assignment_strategy'>;
  private readonly assigned: Gauge<PartitionLabels>;
  private readonly processed: Counter<string>;
  private readonly redeliveries: Counter<string>;
  private readonly gaps: Counter<string>;
  private readonly invalid: Counter<PartitionLabels | 'reason'>;
  private readonly committed: Gauge<PartitionLabels>;
  private readonly position: Gauge<PartitionLabels>;
  private readonly highWatermark: Gauge<PartitionLabels>;
  private readonly lag: Gauge<PartitionLabels>;
  private readonly processedOffset: Gauge<PartitionLabels>;
  private readonly groupLag: Gauge<'group' | 'topic' | 'partition' | 'member_host' | 'consumer_id' | 'client_id'>;
  private readonly assignedCount: Gauge<string>;
  private readonly rebalances: Counter<'type'>;
  private readonly rebalanceDuration: Gauge<string>;
  private readonly groupState: Gauge<'state'>;
  private readonly handoff: Gauge<'handoff'>;
  private readonly pause: Histogram<string>;
  readonly processingSeconds: BucketHistogram;
  readonly endToEndSeconds: BucketHistogram;

  /** `perPartition` false drops the partition label from the per-message counters (PARTITION_METRICS=off). */
  constructor(
    private readonly id: ConsumerIdentity,
    perPartition = true,
    private readonly now: () => number = Date.now,
  ) {
    this.perPartition = perPartition;
    const r = [this.registry];
    const flush = () => this.flush();
    this.registry.setDefaultLabels({ consumer: id.name });
    collectDefaultMetrics({ register: this.registry });

    this.info = new Gauge({
      name: 'lab_consumer_info',
      help: 'Always 1; labels say which group, topic and rebalance protocol this consumer runs with.',
      labelNames: ['group', 'topic', 'client_id', 'group_protocol', 'assignment_strategy'],
      registers: r,
    });
    this.info.set(
      {
        group: id.group,
        topic: id.topic,
        client_id: id.clientId,
        group_protocol: id.groupProtocol,
        assignment_strategy: id.assignmentStrategy,
      },
      1,
    );
    const pl = ['topic', 'partition'] as const;
    this.assigned = new Gauge({ name: 'lab_consumer_partition_assigned', help: '1 while this consumer owns the partition; the series disappears when it is revoked.', labelNames: pl, registers: r });
    const cl = perPartition ? pl : (['topic'] as const);
    this.processed = new Counter({ name: 'lab_consumer_messages_processed_total', help: 'Messages processed (valid or not), per partition.', labelNames: cl, registers: r, collect: flush });
    this.redeliveries = new Counter({ name: 'lab_consumer_redeliveries_total', help: 'Messages whose sequence this consumer had already processed on the partition (at-least-once duplicates).', labelNames: cl, registers: r, collect: flush });
    this.gaps = new Counter({ name: 'lab_consumer_sequence_gaps_total', help: 'Jumps in the per-partition sequence while this consumer owned the partition: lost messages. Must stay 0.', labelNames: cl, registers: r, collect: flush });
    this.invalid = new Counter({ name: 'lab_consumer_invalid_messages_total', help: 'Messages that are not load-generator JSON; processed, committed and skipped.', labelNames: ['topic', 'partition', 'reason'], registers: r });
    this.committed = new Gauge({ name: 'lab_consumer_committed_offset', help: 'Last committed offset of the group for an owned partition (librdkafka statistics).', labelNames: pl, registers: r });
    this.position = new Gauge({ name: 'lab_consumer_position_offset', help: 'Offset of the next message the consumer will receive on an owned partition.', labelNames: pl, registers: r });
    this.highWatermark = new Gauge({ name: 'lab_consumer_high_watermark_offset', help: 'High watermark (end offset) of an owned partition.', labelNames: pl, registers: r });
    // The group's processing frontier, read with the processed counters in one scrape: the dashboard
    // counts duplicates as "processed minus how far the frontier moved", which does not change when
    // lag builds or drains (processed minus produced does).
    this.processedOffset = new Gauge({ name: 'lab_consumer_processed_offset', help: 'Offset after the last message this consumer processed on an owned partition (what a commit would store); kept for a minute after the partition is revoked.', labelNames: pl, registers: r, collect: flush });
    this.lag = new Gauge({ name: 'lab_consumer_lag_messages', help: 'High watermark minus committed offset, per owned partition.', labelNames: pl, registers: r });
    this.groupLag = new Gauge({
      name: 'kafka_consumergroup_group_lag',
      help: 'Group lag per partition, named and labelled as kafka-lag-exporter does.',
      labelNames: ['group', 'topic', 'partition', 'member_host', 'consumer_id', 'client_id'],
      registers: r,
    });
    this.assignedCount = new Gauge({ name: 'lab_consumer_assigned_partitions', help: 'Number of partitions this consumer owns; 0 means idle.', registers: r });
    this.rebalances = new Counter({ name: 'lab_consumer_rebalance_events_total', help: 'Rebalance callbacks by type: assign, revoke, lost, error.', labelNames: ['type'], registers: r });
    this.rebalanceDuration = new Gauge({ name: 'lab_consumer_last_rebalance_duration_seconds', help: 'From the first rebalance callback to the end of the last one handled.', registers: r });
    const metrics = this;
    new Gauge({
      name: 'lab_consumer_state',
      help: '1 for the current lifecycle state of the consumer.',
      labelNames: ['state'],
      registers: r,
      collect() {
        const now = metrics.stateNow().state;
        for (const s of LIFECYCLE_STATES) this.set({ state: s }, s === now ? 1 : 0);
      },
    });
    this.groupState = new Gauge({ name: 'lab_consumer_group_state', help: "1 for librdkafka's current consumer-group join state.", labelNames: ['state'], registers: r });
    this.handoff = new Gauge({ name: 'lab_consumer_consume_handoff', help: "1 for the hand-off node-rdkafka's consume(n) uses: columnar (our patched build) or objects (published, about 3x slower).", labelNames: ['handoff'], registers: r });
    new Gauge({
      name: 'lab_consumer_ready',
      help: '1 when connected and a member of the group (what /readyz reports).',
      registers: r,
      collect() {
        this.set(metrics.stateNow().ready ? 1 : 0);
      },
    });
    this.pause = new Histogram({
      name: 'lab_consumer_rebalance_pause_seconds',
      help: 'How long this consumer, owning partitions before, could process none of them: eager, from revoking everything to the assignment; cooperative and KIP-848, per callback until the incremental assign/unassign returned (librdkafka pauses all assigned partitions meanwhile).',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    });
    this.processingSeconds = new BucketHistogram('lab_consumer_processing_duration_seconds', 'Time to process one message (with PROCESSING_MS=0, the average over its batch).', PROCESSING_BUCKETS, this.registry);
    this.endToEndSeconds = new BucketHistogram('lab_consumer_end_to_end_latency_seconds', 'From production (producedAt) to the end of processing (with PROCESSING_MS=0, to the start of its batch).', LATENCY_BUCKETS, this.registry);
    for (const type of ['assign', 'revoke', 'lost', 'error'] as const) this.rebalances.inc({ type }, 0);
    this.assignedCount.set(0);
  }

  partition(partition: number): PartitionCounters {
    const key = this.perPartition ? partition : -1;
    let c = this.counters.get(key);
    if (!c) {
      const labels: Record<string, string> = this.perPartition ? { topic: this.id.topic, partition: String(partition) } : { topic: this.id.topic };
      c = { processed: 0, redeliveries: 0, gaps: 0, labels };
      // Create the series at 0 so rate() and increase() see the first message.
      this.processed.inc(labels, 0);
      this.redeliveries.inc(labels, 0);
      this.gaps.inc(labels, 0);
      this.counters.set(key, c);
    }
    return c;
  }

  /** Moves what the hot path counted into prom-client; runs whenever a scrape reads the counters. */
  flush(): void {
    for (const [p, c] of this.counters) {
      if (c.processed > 0) this.processed.inc(c.labels, c.processed);
      if (c.redeliveries > 0) this.redeliveries.inc(c.labels, c.redeliveries);
      if (c.gaps > 0) this.gaps.inc(c.labels, c.gaps);
      const next = this.perPartition ? this.frontier(p) : null;
      if (next !== null) {
        this.processedOffset.set(c.labels, next);
        this.revokedFrontiers.delete(p);
      }
      c.processed = c.redeliveries = c.gaps = 0;
    }
    const now = this.now();
    for (const [p, revokedAt] of this.revokedFrontiers) {
      if (now - revokedAt < FRONTIER_LINGER_MS) continue;
      this.processedOffset.remove({ topic: this.id.topic, partition: String(p) });
      this.revokedFrontiers.delete(p);
    }
  }

  invalidMessage(partition: number, reason: InvalidReason): void {
    this.invalid.inc({ topic: this.id.topic, partition: String(partition), reason });
  }

  assignedPartitions(gained: number[], owned: number): void {
    for (const p of gained) {
      this.assigned.set({ topic: this.id.topic, partition: String(p) }, 1);
      this.partition(p);
    }
    this.assignedCount.set(owned);
  }

  /**
   * `frontiers`: each removed partition's processed frontier as it was when the revocation ended
   * (Assignment forgets it with the partition).
   */
  revokedPartitions(removed: number[], owned: number, memberId: string | null, frontiers: ReadonlyMap<number, number> = new Map()): void {
    for (const p of removed) {
      const labels = { topic: this.id.topic, partition: String(p) };
      for (const g of [this.assigned, this.committed, this.position, this.highWatermark, this.lag]) g.remove(labels);
      // The processed offset stays at its last value for the next scrapes (FRONTIER_LINGER_MS), the
      // counters' last messages with it; a new ownership's first message replaces it.
      const c = this.counters.get(p);
      if (c) {
        this.flush();
        const last = frontiers.get(p);
        if (last !== undefined) {
          this.processedOffset.set(c.labels, last);
          this.revokedFrontiers.set(p, this.now());
        }
      }
      this.groupLag.remove(this.groupLagLabels(p, memberId));
    }
    this.assignedCount.set(owned);
  }

  rebalance(type: RebalanceEventType, durationMs: number | null, pausedMs?: number): void {
    this.rebalances.inc({ type });
    if (durationMs !== null) this.rebalanceDuration.set(durationMs / 1000);
    if (pausedMs !== undefined) this.pause.observe(pausedMs / 1000);
  }

  /**
   * Exports the offsets of the owned partitions librdkafka is actively fetching. Every other
   * owned partition (fetch state not active: an outage, a leader change), and every value that
   * is unknown, loses its series: a frozen last value would look like a healthy, idle partition.
   */
  offsets(owned: ReadonlySet<number>, snapshot: PartitionOffsets[], memberId: string | null): void {
    const byPartition = new Map(snapshot.map((s) => [s.partition, s]));
    for (const p of owned) {
      const s = byPartition.get(p);
      const labels = { topic: this.id.topic, partition: String(p) };
      setOrRemove(this.committed, labels, s?.committed);
      setOrRemove(this.position, labels, s?.position);
      setOrRemove(this.highWatermark, labels, s?.highWatermark);
      setOrRemove(this.lag, labels, s?.lag);
      setOrRemove(this.groupLag, this.groupLagLabels(p, memberId), s?.lag);
    }
  }

  /** The member id is learnt after joining; drop group-lag series that carry an older one. */
  memberIdChanged(): void {
    this.groupLag.reset();
  }

  /**
   * Where the processed-frontier gauge reads each owned partition's frontier, at each scrape: the
   * offset a commit would store (Assignment's), null before a message of this ownership was processed.
   */
  readFrontier(read: (partition: number) => number | null): void {
    this.frontier = read;
  }

  /**
   * Where the lifecycle and readiness gauges read their values, at each scrape: from the same
   * state /healthz and /readyz answer from, never a copy pushed when something changed.
   */
  readState(read: () => { state: LifecycleState; ready: boolean }): void {
    this.stateNow = read;
  }

  consumeHandoff(handoff: ConsumeHandoff): void {
    for (const h of CONSUME_HANDOFFS) this.handoff.set({ handoff: h }, h === handoff ? 1 : 0);
  }

  joinState(state: string | null): void {
    this.groupState.reset();
    if (state !== null) this.groupState.set({ state }, 1);
  }

  private groupLagLabels(partition: number, memberId: string | null) {
    return {
      group: this.id.group,
      topic: this.id.topic,
      partition: String(partition),
      member_host: this.id.name,
      consumer_id: memberId ?? this.id.clientId,
      client_id: this.id.clientId,
    };
  }
}

function setOrRemove<T extends string>(gauge: Gauge<T>, labels: Partial<Record<T, string>>, value: number | null | undefined): void {
  if (value === null || value === undefined) gauge.remove(labels);
  else gauge.set(labels, value);
}
