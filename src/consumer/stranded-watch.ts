/**
 * librdkafka 2.12.0 drops every broker it knows, bootstrap servers included, when a Metadata
 * response lists no broker but some topics, and nothing then makes it bootstrap again
 * (confluentinc/librdkafka#5301; a fix is proposed in #5303, unreleased). The controlled shutdown
 * of a single broker can answer that way, so a broker restart can leave a consumer connected to
 * nothing for good: not ready, its partitions taken over by the others once its session expires.
 * This tells, from the statistics' count of brokers left, when that has lasted long enough to be
 * that and not librdkafka re-adding the bootstrap servers (which it does within milliseconds when
 * it drops the brokers for a reason it handles).
 */
export const STRANDED_AFTER_MS = 10_000;

export class StrandedWatch {
  private since: number | null = null;
  private reported = false;

  /** One statistics snapshot: brokers left to connect to (up or not) at `now`. */
  observe(brokerHandles: number, now: number): 'stranded' | 'recovered' | null {
    if (brokerHandles > 0) {
      const was = this.reported;
      this.since = null;
      this.reported = false;
      return was ? 'recovered' : null;
    }
    this.since ??= now;
    if (this.reported || now - this.since < STRANDED_AFTER_MS) return null;
    this.reported = true;
    return 'stranded';
  }

  /** How long there has been no broker, in ms (0 if there is one). */
  for(now: number): number {
    return this.since === null ? 0 : now - this.since;
  }
}
