import Kafka, { type KafkaConsumer, type LibrdKafkaError, type Message, type TopicPartition } from 'node-rdkafka';
import type { Logger } from 'pino';
import { Assignment } from './assignment';
import { BatchSizer } from './batch-sizer';
import { ClientEvents } from './client-events';
import { CommitErrorLog } from './commit-errors';
import { ConsumeLoop } from './consume-loop';
import type { ConsumerConfig } from './config';
import { Lifecycle } from './lifecycle';
import type { ConsumerMetrics } from './metrics';
import type { MessageProcessor } from './processor';
import { consumerSettings } from './rdkafka-config';
import { RebalanceHandler } from './rebalance-handler';
import type { StatsSnapshot } from './stats';
import { describeKafkaError, isFatalError } from '../shared/kafka-errors';

// How long one consume call waits for a message when none is fetched: bounds how fast a stop
// request is noticed.
const CONSUME_TIMEOUT_MS = 200;
// node-rdkafka connects on a libuv worker thread, and a process cannot exit while a worker thread
// is busy: this bounds how long a stop during start-up takes.
const CONNECT_TIMEOUT_MS = 3_000;
const MAX_CONNECT_BACKOFF_MS = 10_000;
// Before the final commit and leave, Kafka must answer a metadata request within this time.
// librdkafka's close waits for the coordinator's answers with no bound of its own (a network that
// went silent holds it past any deadline), and nothing that waits for a broker may be left
// running when the process exits.
const CLOSE_PROBE_TIMEOUT_MS = 2_000;

/**
 * The consumer-group member: owns the librdkafka consumer, connects, runs the consume loop and
 * stops; rebalance callbacks go to the RebalanceHandler. It turns librdkafka's events into calls
 * on the plain pieces (Assignment, MessageProcessor, ConsumerMetrics).
 */
export class GroupMember {
  readonly assignment = new Assignment();
  readonly lifecycle: Lifecycle;
  private consumer!: KafkaConsumer;
  private rebalances!: RebalanceHandler;
  private inFlight: Promise<void> | null = null;
  // Plain numbers, not an object per message: this is the hot path.
  private inFlightPartition = -1;
  private inFlightOffset = -1;
  private loop: Promise<void> | null = null;
  private connected = false;
  /** Statistics, errors and debug lines: what librdkafka says besides messages. */
  private readonly events: ClientEvents;
  /** True while librdkafka's close runs on a worker thread (see closing()). */
  private closeRunning = false;
  private readonly batches: BatchSizer;
  private readonly commitErrors: CommitErrorLog;

  constructor(
    private readonly config: ConsumerConfig,
    readonly clientId: string,
    private readonly processor: MessageProcessor,
    private readonly metrics: ConsumerMetrics,
    private readonly log: Logger,
  ) {
    this.lifecycle = new Lifecycle((s) => this.metrics.state(s, this.ready()));
    this.batches = new BatchSizer(config.batchSize, config.processingMs);
    this.commitErrors = new CommitErrorLog(log);
    this.events = new ClientEvents({ topic: config.topic, groupId: config.groupId, clientId, staticMembership: config.staticMembership }, log, {
      running: () => this.lifecycle.state === 'running',
      owned: () => this.assignment.partitions(),
      statsRead: (stats) => {
        this.metrics.offsets(new Set(this.assignment.partitions()), stats.partitions, this.events.memberId());
        this.metrics.joinState(stats.joinState);
        this.metrics.state(this.lifecycle.state, this.ready());
      },
      memberIdChanged: () => this.metrics.memberIdChanged(),
      lost: (message) => this.rebalances.librdkafkaLost(message),
      fatal: (err) => this.onFatal(err),
    });
    this.newClient();
  }

  /**
   * A new client (and its rebalance handler), also after each failed connect: node-rdkafka
   * registers its native callbacks (rebalance_cb, offset_commit_cb) on every connect() and removes
   * them only in disconnect(), so a client that failed to connect and connects later would run
   * each rebalance once per attempt (the second assign fails with ERR__CONFLICT). Seen on Docker
   * Swarm, where nothing holds the consumer back until Kafka is healthy.
   */
  private newClient(): void {
    const settings = consumerSettings(this.config, this.clientId);
    let rebalanceCallback: RebalanceHandler['callback'] = () => undefined;
    const consumer = new Kafka.KafkaConsumer(
      {
        ...settings.global,
        // node-rdkafka has no memberid(); librdkafka names it in its "cgrp" debug log, a few
        // lines a second, which we read and otherwise drop.
        debug: 'cgrp',
        // Our own callback: node-rdkafka's default one asks rebalanceProtocol(), which is not
        // reliable (node-rdkafka #1144); we know which protocol we configured.
        rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => rebalanceCallback(err, assignment),
        offset_commit_cb: (err: LibrdKafkaError | null) => {
          if (err && isFatalError(err)) this.events.fatal(err);
          else if (err && err.code !== Kafka.CODES.ERRORS.ERR__NO_OFFSET) this.commitErrors.report(err);
        },
      },
      settings.topic,
    );
    this.consumer = consumer;
    this.rebalances = new RebalanceHandler(this.config, consumer, this.assignment, this.processor.sequences, this.metrics, this.log, {
      inFlight: () => this.inFlight,
      storeOffsets: (partitions) => this.storeOffsets(partitions),
      memberId: () => this.events.memberId(),
      changed: () => this.metrics.state(this.lifecycle.state, this.ready()),
    });
    rebalanceCallback = this.rebalances.callback;
    consumer.on('event.stats', (e: { message: string }) => this.events.onStats(e.message));
    consumer.on('event.error', (err: LibrdKafkaError) => this.events.onError(err));
    consumer.on('event.log', (line: { fac: string; message: string }) => this.events.onLog(line));
    consumer.on('disconnected', () => {
      this.connected = false;
    });
  }

  /** Connected, in the group, and at least one broker reachable. */
  ready(): boolean {
    return this.lifecycle.state === 'running' && this.connected && this.assignment.joined && (this.events.stats()?.brokersUp ?? true);
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
    for (let attempt = 1; this.lifecycle.state === 'connecting'; attempt++) {
      try {
        await this.connect();
        break;
      } catch (err) {
        const backoff = Math.min(MAX_CONNECT_BACKOFF_MS, 1000 * 2 ** (attempt - 1));
        this.log.warn({ attempt, retryInMs: backoff, err: describeKafkaError(err) }, 'cannot reach Kafka; retrying');
        if (!this.consumer.isConnected()) this.newClient();
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
    if (this.lifecycle.state !== 'connecting') return;
    this.connected = true;
    this.consumer.subscribe([this.config.topic]);
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
      const unreachable = !this.events.brokerReachable() ? 'every broker connection is down' : await this.brokerSilent();
      if (unreachable === null) {
        this.closeRunning = true;
        await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
        this.closeRunning = false;
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
    return this.closeRunning;
  }

  /**
   * A network that went silent (no reset: a laptop off the Wi-Fi, a firewall dropping packets)
   * leaves librdkafka's connections "up" until its requests time out. A metadata request with a
   * short timeout tells: null if Kafka answered, else why not.
   */
  private brokerSilent(): Promise<string | null> {
    return new Promise((resolve) => {
      this.consumer.getMetadata({ topic: this.config.topic, timeout: CLOSE_PROBE_TIMEOUT_MS }, (err) =>
        resolve(err ? `no answer to a metadata request within ${CLOSE_PROBE_TIMEOUT_MS} ms (${describeKafkaError(err).name ?? err.message})` : null),
      );
    });
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.consumer.connect({ timeout: CONNECT_TIMEOUT_MS }, (err) => (err ? reject(err) : resolve()));
    });
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
      { take: (max, waitMs) => this.consumeUpTo(max, waitMs) },
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
    const offsets: { topic: string; partition: number; offset: number }[] = [];
    for (const p of partitions) {
      const next = this.assignment.nextOffset(p);
      if (next !== null) offsets.push({ topic: this.config.topic, partition: p, offset: next });
    }
    if (offsets.length === 0) return;
    try {
      this.consumer.offsetsStore(offsets);
    } catch (err) {
      this.log.debug({ err: describeKafkaError(err), offsets }, 'offset store failed');
    }
  }

  private consumeUpTo(n: number, timeoutMs: number): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      this.consumer.setDefaultConsumeTimeout(timeoutMs);
      this.consumer.consume(n, (err, messages) => (err ? reject(err) : resolve(messages)));
    });
  }

  /** Set by a program that gives up on some errors (join: a group that refuses our protocol). */
  onConsumeError: (err: unknown) => void = () => undefined;

  /** Set by the program: what to do when the client can no longer be used. */
  onFatal: (err: unknown) => void = () => undefined;
}
