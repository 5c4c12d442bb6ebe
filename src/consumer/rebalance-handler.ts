import Kafka, { type LibrdKafkaError, type TopicPartition } from 'node-rdkafka';
import type { Logger } from 'pino';
import type { Assignment } from './assignment';
import type { ConsumerConfig } from './config';
import type { ConsumerMetrics } from './metrics';
import type { SequenceTracker } from './sequence-tracker';
import { describeKafkaError } from '../shared/kafka-errors';

const { ERR__ASSIGN_PARTITIONS, ERR__REVOKE_PARTITIONS } = Kafka.CODES.ERRORS;

/** The calls a rebalance makes on the librdkafka consumer (a KafkaConsumer has them). */
export interface RebalanceCalls {
  assign(tps: TopicPartition[]): unknown;
  unassign(): unknown;
  incrementalAssign(tps: TopicPartition[]): unknown;
  incrementalUnassign(tps: TopicPartition[]): unknown;
}

/** What the rebalance handling needs from the member around it. */
export interface RebalanceContext {
  /** The message being processed right now, if any: a revocation waits for it. */
  inFlight(): Promise<void> | null;
  /** Stores the processed offsets of these partitions for librdkafka to commit. */
  storeOffsets(partitions: Iterable<number>): void;
  memberId(): string | null;
}

/**
 * Turns librdkafka's rebalance callbacks into assign/unassign calls and into our own state. The
 * callbacks run one after another on a promise chain, so a revocation can wait for the message
 * in flight before the partition is handed on.
 */
export class RebalanceHandler {
  private chain: Promise<void> = Promise.resolve();
  /** librdkafka's own verdict (its "LOST" debug line): the current assignment was lost. */
  private assignmentLost = false;

  constructor(
    private readonly config: ConsumerConfig,
    private readonly consumer: RebalanceCalls,
    private readonly assignment: Assignment,
    private readonly sequences: SequenceTracker,
    private readonly metrics: ConsumerMetrics,
    private readonly log: Logger,
    private readonly context: RebalanceContext,
  ) {}

  /** librdkafka's rebalance_cb. */
  readonly callback = (err: LibrdKafkaError, assignment: TopicPartition[]): void => {
    const receivedAt = performance.now();
    this.chain = this.chain.then(() => this.handle(err, assignment, receivedAt));
  };

  /** Resolves once every rebalance callback received so far has been handled. */
  settled(): Promise<void> {
    return this.chain;
  }

  /**
   * node-rdkafka has no rd_kafka_assignment_lost(); librdkafka says it in a "LOST" debug line
   * ("current assignment of N partition(s) lost: ...", or "... no longer considered lost").
   */
  librdkafkaLost(message: string): void {
    this.assignmentLost = /partition\(s\) lost: /.test(message);
  }

  private async handle(err: LibrdKafkaError, tps: TopicPartition[], receivedAt: number): Promise<void> {
    const partitions = tps.filter((tp) => tp.topic === this.config.topic).map((tp) => tp.partition);
    // librdkafka pauses every assigned partition when it hands an incremental rebalance to the
    // application and resumes them when incrementalAssign/incrementalUnassign is called: for a
    // member that owned partitions, that is a pause of all its work, however short.
    const pausing = this.config.incremental && this.assignment.partitions().length > 0;
    const pausedMs = () => (pausing ? performance.now() - receivedAt : undefined);
    try {
      if (err?.code === ERR__ASSIGN_PARTITIONS) await this.onAssign(tps, partitions, pausedMs);
      else if (err?.code === ERR__REVOKE_PARTITIONS) await this.onRevoke(tps, partitions, pausedMs);
      else this.onRebalanceError(err);
    } catch (e) {
      this.assignment.error();
      this.metrics.rebalance('error', null);
      this.log.error({ err: describeKafkaError(e) }, 'rebalance handling failed');
    }
  }

  private async onAssign(tps: TopicPartition[], partitions: number[], pausedMs: () => number | undefined): Promise<void> {
    // If the call throws, the group still gave us these partitions: record them (and let the
    // error be logged and counted) so whatever librdkafka delivers for them is processed.
    try {
      if (this.config.incremental) this.consumer.incrementalAssign(tps);
      else this.consumer.assign(tps);
    } finally {
      this.recordAssign(partitions, pausedMs());
    }
  }

  private recordAssign(partitions: number[], incrementalPauseMs: number | undefined): void {
    for (const p of partitions) this.sequences.assigned(p);
    const gained = this.assignment.assign(partitions);
    const owned = this.assignment.partitions();
    const record = this.assignment.lastRebalance();
    // Eager: from the revocation of everything to this assignment (Assignment measures it).
    const paused = this.config.incremental ? incrementalPauseMs : record?.pausedMs;
    this.metrics.assignedPartitions(gained, owned.length);
    this.metrics.rebalance('assign', record?.durationMs ?? null, paused);
    this.log.info(
      { event: 'assign', gained, owned, idle: owned.length === 0, durationMs: record?.durationMs, pausedMs: paused, protocol: protocolName(this.config) },
      owned.length === 0 ? 'rebalance: no partitions for this consumer (idle: more consumers than partitions)' : 'rebalance: partitions assigned',
    );
  }

  private async onRevoke(tps: TopicPartition[], partitions: number[], pausedMs: () => number | undefined): Promise<void> {
    this.assignment.beginRevoke(partitions);
    // librdkafka logs a lost assignment just before it asks for the revocation; both reach this
    // thread through separate async handles, so let the log line land before reading the verdict.
    await new Promise((r) => setImmediate(r));
    const type = this.assignmentLost ? 'lost' : 'revoke';
    // Finish the message in flight and store its offset: the unassign below makes librdkafka
    // commit what is stored for these partitions (it skips that when the assignment was lost).
    const inFlight = this.context.inFlight();
    if (inFlight) await inFlight.catch(() => undefined);
    // Whatever the calls below do, the partitions are no longer ours: forget them even if one
    // throws, or they would stay owned but stopped, and a later assignment would skip them.
    try {
      this.context.storeOffsets(partitions);
      if (this.config.incremental) this.consumer.incrementalUnassign(tps);
      else this.consumer.unassign();
    } finally {
      this.assignmentLost = false;
      this.recordRevoke(partitions, type, pausedMs());
    }
  }

  private recordRevoke(partitions: number[], type: 'revoke' | 'lost', pausedMs: number | undefined): void {
    const frontiers = new Map<number, number>();
    for (const p of partitions) {
      const next = this.assignment.nextOffset(p);
      if (next !== null) frontiers.set(p, next);
    }
    const removed = this.assignment.finishRevoke(partitions, type);
    const owned = this.assignment.partitions();
    this.metrics.revokedPartitions(removed, owned.length, this.context.memberId(), frontiers);
    this.metrics.rebalance(type, null, pausedMs);
    this.log.info(
      { event: type, revoked: removed, owned, pausedMs, protocol: protocolName(this.config) },
      type === 'lost' ? 'rebalance: partitions lost (this member lost its place in the group; offsets not committed)' : 'rebalance: partitions revoked',
    );
  }

  private onRebalanceError(err: LibrdKafkaError): void {
    this.assignment.error();
    this.metrics.rebalance('error', null);
    this.log.error({ err: describeKafkaError(err) }, 'rebalance error; dropping the assignment');
    try {
      this.consumer.unassign();
    } catch {
      // already unassigned
    }
  }
}

export function protocolName(config: Pick<ConsumerConfig, 'groupProtocol' | 'assignmentStrategy'>): string {
  return config.groupProtocol === 'consumer' ? 'consumer (KIP-848)' : `classic/${config.assignmentStrategy}`;
}
