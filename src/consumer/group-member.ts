import type { Message } from 'node-rdkafka';
import type { Logger } from 'pino';
import { Assignment } from './assignment';
import { BatchSizer } from './batch-sizer';
import { ClientEvents } from './client-events';
import { CommitErrorLog } from './commit-errors';
import { ConsumeLoop } from './consume-loop';
import type { ConsumerConfig } from './config';
import { ConsumerSession, type KafkaSession, type SessionEvents, type StoredOffset } from './kafka-session';
import { Lifecycle } from './lifecycle';
import type { ConsumerMetrics } from './metrics';
import type { MessageProcessor } from './processor';
import { RebalanceHandler } from './rebalance-handler';
import type { StatsSnapshot } from './stats';
import { describeKafkaError, isFatalError } from '../shared/kafka-errors';

// How long one consume call waits for a message when none is fetched: bounds how fast a stop
// request is noticed.
const CONSUME_TIMEOUT_MS = 200;
// Before the final commit and leave, Kafka must answer a metadata request within this time.
// librdkafka's close waits for the coordinator's answers with no bound of its own (a network that
// went silent holds it past any deadline), and nothing that waits for a broker may be left
// running when the process exits.
const CLOSE_PROBE_TIMEOUT_MS = 2_000;

/**
 * The consumer-group member, a facade over three pieces: the ConsumerSession (node-rdkafka's
 * client: connect, consume, offset store, close), the ConsumeLoop (when to ask for how many
 * messages) and the RebalanceHandler (librdkafka's rebalance callbacks). What it adds is the
 * member's rules: which fetched messages may still be processed, when offsets are stored, and how
 * to stop.
 */
export class GroupMember {
  readonly assignment = new Assignment();
  readonly lifecycle = new Lifecycle();
  private readonly session: KafkaSession;
  private readonly rebalances: RebalanceHandler;
  private inFlight: Promise<void> | null = null;
  // Plain numbers, not an object per message: this is the hot path.
  private inFlightPartition = -1;
  private inFlightOffset = -1;
  private loop: Promise<void> | null = null;
  /** Statistics, errors and debug lines: what librdkafka says besides messages. */
  private readonly events: ClientEvents;
  private readonly batches: BatchSizer;
  private readonly commitErrors: CommitErrorLog;

  constructor(
    private readonly config: ConsumerConfig,
    readonly clientId: string,
    private readonly processor: MessageProcessor,
    private readonly metrics: ConsumerMetrics,
    private readonly log: Logger,
    // Unit tests pass a fake session; the program gets node-rdkafka's.
    session: (events: SessionEvents) => KafkaSession = (events) => new ConsumerSession(config, clientId, events),
  ) {
    this.batches = new BatchSizer(config.batchSize, config.processingMs);
    this.commitErrors = new CommitErrorLog(log);
    this.events = new ClientEvents({ topic: config.topic, groupId: config.groupId, clientId, staticMembership: config.staticMembership }, log, {
      running: () => this.lifecycle.state === 'running',
      owned: () => this.assignment.partitions(),
      statsRead: (stats) => {
        this.metrics.offsets(new Set(this.assignment.partitions()), stats.partitions, this.events.memberId());
        this.metrics.joinState(stats.joinState);
      },
      memberIdChanged: () => this.metrics.memberIdChanged(),
      lost: (message) => this.rebalances.librdkafkaLost(message),
      fatal: (err) => this.onFatal(err),
    });
    this.session = session({
      rebalance: (err, assignment) => this.rebalances.callback(err, assignment),
      commitFailed: (err) => (isFatalError(err) ? this.events.fatal(err) : this.commitErrors.report(err)),
      stats: (json) => this.events.onStats(json),
      error: (err) => this.events.onError(err),
      log: (line) => this.events.onLog(line),
    });
    this.rebalances = new RebalanceHandler(config, this.session.rebalanceCalls, this.assignment, processor.sequences, metrics, log, {
      inFlight: () => this.inFlight,
      storeOffsets: (partitions) => this.storeOffsets(partitions),
      memberId: () => this.events.memberId(),
    });
    // Read when a scrape asks, so they never disagree with /readyz.
    metrics.readState(() => ({ state: this.lifecycle.state, ready: this.ready() }));
    metrics.readFrontier((p) => this.assignment.nextOffset(p));
  }

  /** Connected, in the group, and at least one broker reachable. */
  ready(): boolean {
    return this.lifecycle.state === 'running' && this.session.isConnected() && this.assignment.joined && (this.events.stats()?.brokersUp ?? true);
  }

  lastStats(): StatsSnapshot | null {
    return this.events.stats();
  }

  /** The message being processed right now, if any. */
  messageInFlight(): { partition: number; offset: number } | null {
    return this.inFlightPartition < 0 ? null : { partition: this.inFlightPartition, offset: this.inFlightOffset };
  }

  /** The member id the group coordinator gave us, once known. */
  memberId(): string | null {
    return this.events.memberId();
  }

  /** Left with no broker by librdkafka and not recovered (see ClientEvents): restart this process. */
  isStranded(): boolean {
    return this.events.isStranded();
  }

  /** Connects (retrying until it works or stop() is called), subscribes and starts consuming. */
  async start(): Promise<void> {
    // A signal may already have stopped us (it can arrive while the replica name is resolved).
    const initial: string = this.lifecycle.state;
    if (initial !== 'starting') return;
    this.lifecycle.to('connecting');
    const connected = await this.session.connect(
      () => this.lifecycle.state === 'connecting',
      (err, attempt, retryInMs) => this.log.warn({ attempt, retryInMs, err: describeKafkaError(err) }, 'cannot reach Kafka; retrying'),
    );
    if (!connected || this.lifecycle.state !== 'connecting') return;
    this.session.subscribe(this.config.topic);
    this.lifecycle.to('running');
    this.log.info({ topic: this.config.topic, group: this.config.groupId }, 'connected; joining the group');
    this.loop = this.consumeLoop();
  }

  /**
   * Graceful stop: no new message is started, the one in flight finishes (its offset is stored
   * with its batch), and closing the consumer commits the stored offsets and leaves the group so
   * the others rebalance at once (a static member does not leave: its partitions wait for it
   * until the session timeout).
   *
   * With no broker reachable there is nothing to commit to and no group to leave, and librdkafka's
   * close would wait for the coordinator (under KIP-848 for the whole session timeout) on a worker
   * thread the process cannot exit past. Then the consumer stops without closing: what it
   * processed since the last background commit is delivered again, as after a crash.
   */
  async stop(): Promise<void> {
    const wasRunning = this.lifecycle.state === 'running';
    this.lifecycle.to('stopping');
    if (this.loop) await this.loop;
    if (wasRunning) {
      const unreachable = !this.events.brokerReachable() ? 'every broker connection is down' : await this.session.probe(this.config.topic, CLOSE_PROBE_TIMEOUT_MS);
      if (unreachable === null) {
        await this.session.close();
        // close() ran the final revocation through our callback; let it finish.
        await this.rebalances.settled();
      } else {
        this.log.warn(
          { owned: this.assignment.partitions(), reason: unreachable },
          'Kafka is unreachable: stopping without the final commit or leaving the group; messages processed since the last commit will be delivered again',
        );
      }
    }
    this.lifecycle.to('stopped');
  }

  /**
   * Whether librdkafka's close is running: it holds a libuv worker thread until the coordinator
   * answers, and Node cannot exit while it does.
   */
  closing(): boolean {
    return this.session.closing();
  }

  private consumeLoop(): Promise<void> {
    // With synchronous processing (PROCESSING_MS=0) the next batch is asked for before this one
    // is processed: node-rdkafka fetches on a worker thread and converts messages on this one, and
    // asking only after processing left this thread idle a quarter of the time (docs/benchmarks.md,
    // "Throughput"). It is safe only then: rebalance callbacks run between batches, so a batch
    // fetched across a revocation starts where the commit ended. With awaited work a revocation
    // can land mid-batch, and a batch already fetched behind it would skip past the messages the
    // revocation left unprocessed.
    const loop = new ConsumeLoop<Message>(
      this.session,
      { idleWaitMs: CONSUME_TIMEOUT_MS, batchSize: () => this.batches.next(), prefetch: this.config.processingMs === 0 },
      {
        running: () => this.lifecycle.state === 'running',
        process: (batch) => this.processBatch(batch),
        failed: async (err) => {
          if (isFatalError(err)) {
            this.events.fatal(err);
            return false;
          }
          this.log.warn({ err: describeKafkaError(err) }, 'consume failed; retrying');
          this.onConsumeError(err);
          await new Promise((r) => setTimeout(r, 500));
          return true;
        },
      },
    );
    return loop.run();
  }

  private async processBatch(batch: Message[]): Promise<void> {
    const started = performance.now();
    this.processor.startBatch();
    let handled = 0;
    const touched = new Set<number>();
    for (const m of batch) {
      if (this.lifecycle.state !== 'running') break;
      // A revocation may have started after this batch was fetched: those messages belong to
      // the partition's next owner now, and processing them here would only duplicate work.
      if (!this.assignment.accepts(m.partition, m.offset)) continue;
      this.inFlightPartition = m.partition;
      this.inFlightOffset = m.offset;
      const work = this.handle(m);
      if (work) {
        this.inFlight = work;
        await work;
        this.inFlight = null;
      }
      this.inFlightPartition = -1;
      touched.add(m.partition);
      handled++;
    }
    const elapsedMs = performance.now() - started;
    this.processor.endBatch(handled, elapsedMs);
    this.storeOffsets(touched);
    this.batches.observe(handled, elapsedMs);
  }

  /** Processes one message; a promise only if there is work to wait for (see MessageProcessor). */
  private handle(m: Message): Promise<void> | undefined {
    const work = this.processor.process(m);
    if (work) return work.then(() => this.assignment.processed(m.partition, m.offset));
    this.assignment.processed(m.partition, m.offset);
    return undefined;
  }

  /**
   * Stores the processed position of these partitions (once per batch rather than once per
   * message). librdkafka commits stored offsets, and only those: every auto-commit interval, when
   * a partition is unassigned (unless the assignment was lost), and on close. Storing is local
   * and never blocks; committing happens on librdkafka's own thread.
   */
  private storeOffsets(partitions: Iterable<number>): void {
    const offsets: StoredOffset[] = [];
    for (const p of partitions) {
      const next = this.assignment.nextOffset(p);
      if (next !== null) offsets.push({ topic: this.config.topic, partition: p, offset: next });
    }
    if (offsets.length === 0) return;
    try {
      this.session.storeOffsets(offsets);
    } catch (err) {
      this.log.debug({ err: describeKafkaError(err), offsets }, 'offset store failed');
    }
  }

  /** Set by a program that gives up on some errors (join: a group that refuses our protocol). */
  onConsumeError: (err: unknown) => void = () => undefined;

  /** Set by the program: what to do when the client can no longer be used. */
  onFatal: (err: unknown) => void = () => undefined;
}
