import Kafka, { type KafkaConsumer, type LibrdKafkaError, type Message, type TopicPartition } from 'node-rdkafka';
import type { ConsumerConfig } from './config';
import type { BatchSource } from './consume-loop';
import { consumerSettings } from './rdkafka-config';
import type { RebalanceCalls } from './rebalance-handler';
import { describeKafkaError } from '../shared/kafka-errors';
import { retryUntilDone } from '../shared/retry';

// node-rdkafka connects on a libuv worker thread, and a process cannot exit while a worker thread
// is busy: this bounds how long a stop during start-up takes.
const CONNECT_TIMEOUT_MS = 3_000;
const MAX_CONNECT_BACKOFF_MS = 10_000;

/** What librdkafka says to the member, as typed calls. Only the current client's reach it. */
export interface SessionEvents {
  rebalance(err: LibrdKafkaError, assignment: TopicPartition[]): void;
  /** A background or revocation commit finished with this error (never ERR__NO_OFFSET). */
  commitFailed(err: LibrdKafkaError): void;
  stats(json: string): void;
  error(err: LibrdKafkaError): void;
  log(line: { fac: string; message: string }): void;
}

export interface StoredOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** What GroupMember uses of a session: ConsumerSession, or a fake in unit tests. */
export interface KafkaSession extends BatchSource<Message> {
  readonly rebalanceCalls: RebalanceCalls;
  connect(keepGoing: () => boolean, failed: (err: unknown, attempt: number, retryInMs: number) => void): Promise<boolean>;
  isConnected(): boolean;
  subscribe(topic: string): void;
  storeOffsets(offsets: StoredOffset[]): void;
  probe(topic: string, timeoutMs: number): Promise<string | null>;
  close(): Promise<void>;
  closing(): boolean;
}

/**
 * The node-rdkafka edge of a group member: one librdkafka consumer at a time, connected with
 * retries, and the calls the member makes on it (consume, offset store, rebalance assign calls,
 * a metadata probe, close). Everything else about being a member (what to process, when offsets
 * may be stored, when to leave) is GroupMember's.
 */
export class ConsumerSession implements KafkaSession {
  private client!: KafkaConsumer;
  private connected = false;
  /** True while librdkafka's close runs on a worker thread (see closing()). */
  private closeRunning = false;

  /** The rebalance calls, on whichever client is current (the handler outlives a failed one). */
  readonly rebalanceCalls: RebalanceCalls = {
    assign: (tps) => this.client.assign(tps),
    unassign: () => this.client.unassign(),
    incrementalAssign: (tps) => this.client.incrementalAssign(tps),
    incrementalUnassign: (tps) => this.client.incrementalUnassign(tps),
  };

  constructor(
    private readonly config: ConsumerConfig,
    private readonly clientId: string,
    private readonly events: SessionEvents,
  ) {
    this.newClient();
  }

  /**
   * A new client, also after each failed connect: node-rdkafka registers its native callbacks
   * (rebalance_cb, offset_commit_cb) on every connect() and removes them only in disconnect(), so
   * a client that failed to connect and connects later would run each rebalance once per attempt
   * (the second assign fails with ERR__CONFLICT). Seen on Docker Swarm, where nothing holds the
   * consumer back until Kafka is healthy.
   */
  private newClient(): void {
    const settings = consumerSettings(this.config, this.clientId);
    const current = () => this.client === client;
    const client: KafkaConsumer = new Kafka.KafkaConsumer(
      {
        ...settings.global,
        // node-rdkafka has no memberid(); librdkafka names it in its "cgrp" debug log, a few
        // lines a second, which ClientEvents reads and otherwise drops.
        debug: 'cgrp',
        // Our own callback: node-rdkafka's default one asks rebalanceProtocol(), which is not
        // reliable (node-rdkafka #1144); we know which protocol we configured.
        rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => {
          if (current()) this.events.rebalance(err, assignment);
        },
        offset_commit_cb: (err: LibrdKafkaError | null) => {
          if (err && err.code !== Kafka.CODES.ERRORS.ERR__NO_OFFSET && current()) this.events.commitFailed(err);
        },
      },
      settings.topic,
    );
    client.on('event.stats', (e: { message: string }) => current() && this.events.stats(e.message));
    client.on('event.error', (err: LibrdKafkaError) => current() && this.events.error(err));
    client.on('event.log', (line: { fac: string; message: string }) => current() && this.events.log(line));
    client.on('disconnected', () => {
      if (current()) this.connected = false;
    });
    this.client = client;
  }

  /**
   * Connects, retrying with backoff until it works or `keepGoing` says stop; true once connected.
   * `failed` hears of each failed attempt (to log it).
   */
  async connect(keepGoing: () => boolean, failed: (err: unknown, attempt: number, retryInMs: number) => void): Promise<boolean> {
    const outcome = await retryUntilDone(
      () =>
        new Promise<void>((resolve, reject) => {
          this.client.connect({ timeout: CONNECT_TIMEOUT_MS }, (err) => (err ? reject(err) : resolve()));
        }),
      {
        maxBackoffMs: MAX_CONNECT_BACKOFF_MS,
        keepGoing,
        failed: (err, attempt, retryInMs) => {
          failed(err, attempt, retryInMs);
          if (!this.client.isConnected()) this.newClient();
        },
      },
    );
    this.connected = outcome.done;
    return outcome.done;
  }

  /** Connected, and not disconnected since. */
  isConnected(): boolean {
    return this.connected;
  }

  subscribe(topic: string): void {
    this.client.subscribe([topic]);
  }

  /** node-rdkafka's consume(n): up to `max` messages, waiting up to `waitMs` for the first. */
  take(max: number, waitMs: number): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      this.client.setDefaultConsumeTimeout(waitMs);
      this.client.consume(max, (err, messages) => (err ? reject(err) : resolve(messages)));
    });
  }

  /**
   * Stores these offsets for librdkafka to commit: every auto-commit interval, when a partition is
   * unassigned (unless the assignment was lost), and on close. Local; never blocks. Throws what
   * librdkafka refuses (a partition no longer assigned).
   */
  storeOffsets(offsets: StoredOffset[]): void {
    this.client.offsetsStore(offsets);
  }

  /**
   * A network that went silent (no reset: a laptop off the Wi-Fi, a firewall dropping packets)
   * leaves librdkafka's connections "up" until its requests time out. A metadata request with a
   * short timeout tells: null if Kafka answered within `timeoutMs`, else why not.
   */
  probe(topic: string, timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) => {
      this.client.getMetadata({ topic, timeout: timeoutMs }, (err) =>
        resolve(err ? `no answer to a metadata request within ${timeoutMs} ms (${describeKafkaError(err).name ?? err.message})` : null),
      );
    });
  }

  /** librdkafka's close: the final revocation (through the rebalance callback), commit and leave. */
  async close(): Promise<void> {
    this.closeRunning = true;
    try {
      await new Promise<void>((resolve) => this.client.disconnect(() => resolve()));
    } finally {
      this.closeRunning = false;
    }
  }

  /**
   * Whether librdkafka's close is running: it holds a libuv worker thread until the coordinator
   * answers, and Node cannot exit while it does.
   */
  closing(): boolean {
    return this.closeRunning;
  }
}
