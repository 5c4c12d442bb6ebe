import type { Logger } from 'pino';
import { describeKafkaError } from '../shared/kafka-errors';

/**
 * Reports failed offset commits. During an outage librdkafka fails every commit it attempts,
 * for every partition, again and again: one line per kind of failure (error code) and interval
 * says as much, with how many were left out since the last line.
 */
export class CommitErrorLog {
  private readonly last = new Map<number | string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  report(err: unknown): void {
    const described = describeKafkaError(err);
    const key = described.code ?? described.message;
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.log.warn(
      { err: described, suppressed: suppressed > 0 ? suppressed : undefined, intervalMs: this.intervalMs },
      'offset commit failed; processed messages stay stored and are committed once Kafka answers (at most one line per kind of failure and interval)',
    );
  }
}
