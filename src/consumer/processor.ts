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

  constructor(
    private readonly metrics: ConsumerMetrics,
    private readonly log: Logger,
    private readonly processingMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Processes one message. Returns a promise only when there is simulated work to wait for, so
   * that with PROCESSING_MS=0 the hot path allocates no promise per message.
   */
  process(m: IncomingMessage): Promise<void> | undefined {
    const started = performance.now();
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
    if (this.processingMs > 0) {
      return sleep(this.processingMs).then(() => this.done(m, counters, started, message));
    }
    this.done(m, counters, started, message);
    return undefined;
  }

  private done(m: IncomingMessage, counters: PartitionCounters, started: number, message: LabMessage | null): void {
    counters.processed++;
    counters.nextOffset = m.offset + 1;
    this.metrics.processingSeconds.observe((performance.now() - started) / 1000);
    if (message) this.metrics.endToEndSeconds.observe(Math.max(0, this.now() - message.producedAt) / 1000);
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
