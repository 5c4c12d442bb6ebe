import type { Logger } from 'pino';
import { parseLabMessage, type InvalidReason, type LabMessage } from './lab-message';
import { SequenceTracker } from './sequence-tracker';
import type { ConsumerMetrics, PartitionCounters } from './metrics';

export interface IncomingMessage {
  partition: number;
  offset: number;
  value: Buffer | null | undefined;
}

/**
 * What the service does with one message, knowing nothing of Kafka: check its sequence, do the
 * (simulated) work, record metrics. It never throws for a bad payload: a message that is not ours
 * is counted, logged the first time its kind shows up on a partition, and treated as processed.
 */
export class MessageProcessor {
  readonly sequences = new SequenceTracker();
  private readonly invalidSeen = new Set<string>();
  /** The wall clock read once for the batch being processed synchronously; null outside one. */
  private batchClock: number | null = null;

  constructor(
    private readonly metrics: ConsumerMetrics,
    private readonly log: Logger,
    private readonly processingMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts a batch. Without simulated work its messages are processed back to back, about a
   * microsecond each, and reading the clocks three times per message was 5 % of the consumer's
   * time at full speed: their end-to-end latency is then read against one wall-clock reading per
   * batch, early by at most the batch's own processing time (about 2 ms for a full batch of 2,000;
   * the smallest latency bucket is 5 ms).
   */
  startBatch(): void {
    if (this.processingMs === 0) this.batchClock = this.now();
  }

  /**
   * Ends a batch of `processed` messages that took `elapsedMs` in all. Without simulated work each
   * counts in the processing-time histogram at the batch's average, one clock pair per batch
   * instead of per message; with simulated work each message was timed on its own.
   */
  endBatch(processed: number, elapsedMs: number): void {
    if (this.batchClock !== null && processed > 0) this.metrics.processingSeconds.observeMany(elapsedMs / processed / 1000, processed);
    this.batchClock = null;
  }

  /**
   * Processes one message. Returns a promise only when there is simulated work to wait for, so
   * that with PROCESSING_MS=0 the hot path allocates no promise per message.
   */
  process(m: IncomingMessage): Promise<void> | undefined {
    // Timed on its own with simulated work, or when no batch was started (a caller without
    // startBatch); otherwise the batch is timed as a whole.
    const timedAlone = this.processingMs > 0 || this.batchClock === null;
    const started = timedAlone ? performance.now() : 0;
    const counters = this.metrics.partition(m.partition);
    const parsed = parseLabMessage(m.value);
    if (parsed.ok) {
      const { run, partitionSeq } = parsed.message;
      const { verdict, missing } = this.sequences.observe(m.partition, run, partitionSeq, m.offset);
      if (verdict === 'redelivery') counters.redeliveries++;
      else if (verdict === 'gap') {
        counters.gaps++;
        this.log.error({ partition: m.partition, offset: m.offset, partitionSeq, missing }, 'sequence gap: messages missing');
      }
    } else {
      this.invalid(m, parsed.reason);
    }
    const message = parsed.ok ? parsed.message : null;
    if (this.processingMs > 0) return sleep(this.processingMs).then(() => this.timed(m, counters, message, started));
    if (timedAlone) this.timed(m, counters, message, started);
    else this.done(m, counters, message, this.batchClock!);
    return undefined;
  }

  private timed(m: IncomingMessage, counters: PartitionCounters, message: LabMessage | null, started: number): void {
    this.metrics.processingSeconds.observe((performance.now() - started) / 1000);
    this.done(m, counters, message, this.now());
  }

  private done(m: IncomingMessage, counters: PartitionCounters, message: LabMessage | null, wallClock: number): void {
    counters.processed++;
    if (message) this.metrics.endToEndSeconds.observe(Math.max(0, wallClock - message.producedAt) / 1000);
    if (this.log.isLevelEnabled('trace')) {
      // The per-message audit line: off at the default level, used by tests to prove no loss.
      this.log.trace({ partition: m.partition, offset: m.offset, run: message?.run, partitionSeq: message?.partitionSeq }, 'processed');
    }
  }

  private invalid(m: IncomingMessage, reason: InvalidReason): void {
    this.metrics.invalidMessage(m.partition, reason);
    const key = `${m.partition}:${reason}`;
    if (this.invalidSeen.has(key)) return;
    this.invalidSeen.add(key);
    this.log.warn(
      { partition: m.partition, offset: m.offset, reason, bytes: m.value?.length ?? 0 },
      'message is not a load-generator message; counted and skipped (further ones of this kind on this partition are only counted)',
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
