/**
 * Where batches come from. The real one is node-rdkafka's consume (GroupMember); unit tests drive
 * the loop with a fake one.
 */
export interface BatchSource<M> {
  /**
   * Up to `max` messages. With `waitMs` 0, only what the client has already fetched (possibly
   * nothing), at once; otherwise waits up to `waitMs` for one to arrive.
   */
  take(max: number, waitMs: number): Promise<M[]>;
}

export interface ConsumeLoopOptions {
  /** How long a call waits when nothing is fetched: bounds how fast a stop request is noticed. */
  idleWaitMs: number;
  /** How many messages the next batch may hold (the batch sizer). */
  batchSize: () => number;
  /**
   * Ask for the next batch before processing this one. Safe only with synchronous processing; see
   * GroupMember.
   */
  prefetch: boolean;
}

export interface ConsumeLoopHandlers<M> {
  /** Whether to go on; checked before each batch. */
  running(): boolean;
  process(batch: M[]): Promise<void>;
  /** A take failed: resolve true to carry on (after a pause of its choosing), false to end the loop. */
  failed(err: unknown): Promise<boolean>;
}

/**
 * The consume loop, adapting to the rate it sees.
 *
 * node-rdkafka's consume(n, timeout) returns after n messages or after `timeout` without a new
 * one, so one call cannot both wait for a slow stream and drain a fast one: a request for 500 at
 * 20 messages/s waited 25 s. The loop decides from the last batch instead:
 *
 * - the last batch held messages (messages are flowing): take whatever is already fetched, up to
 *   the batch size, without waiting. At full speed this is one call per batch, and with prefetch
 *   that call runs on node-rdkafka's worker thread while this thread processes the previous
 *   batch;
 * - the last batch was empty (idle, or a slow stream between messages): wait up to `idleWaitMs`
 *   for one message. It is handed over the moment it arrives, and the next call takes whatever
 *   came with it.
 *
 * So a slow stream is processed message by message as it arrives, and a fast one in full batches
 * with the fetch overlapped; a change of rate shows in the next batch.
 */
export class ConsumeLoop<M> {
  /** Calls made to the source, by kind: a figure for tests and the benchmark, not for metrics. */
  readonly calls = { waiting: 0, immediate: 0 };

  constructor(
    private readonly source: BatchSource<M>,
    private readonly options: ConsumeLoopOptions,
    private readonly handlers: ConsumeLoopHandlers<M>,
  ) {}

  async run(): Promise<void> {
    let next: Promise<M[]> | null = null;
    let flowing = false;
    try {
      while (this.handlers.running()) {
        let batch: M[];
        try {
          batch = await (next ?? this.take(flowing));
        } catch (err) {
          next = null;
          flowing = false;
          if (!(await this.handlers.failed(err))) return;
          continue;
        }
        next = null;
        flowing = batch.length > 0;
        if (this.options.prefetch && this.handlers.running()) next = this.take(flowing);
        if (batch.length > 0) await this.handlers.process(batch);
      }
    } finally {
      // Stopping with a batch still being fetched: wait for it, so the client is not closed under
      // a call in progress. Its messages are neither processed nor stored, so whoever owns their
      // partitions next reads them.
      if (next) await next.catch(() => undefined);
    }
  }

  private take(flowing: boolean): Promise<M[]> {
    if (flowing) {
      this.calls.immediate++;
      return this.source.take(this.options.batchSize(), 0);
    }
    this.calls.waiting++;
    return this.source.take(1, this.options.idleWaitMs);
  }
}
