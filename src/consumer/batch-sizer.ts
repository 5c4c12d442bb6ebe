/**
 * How many messages to ask for in the next consume call.
 *
 * librdkafka hands rebalance callbacks to the application only inside consume(): while a batch is
 * being processed, the group waits. A batch of 500 messages at 10 ms each keeps a rebalance (a
 * member leaving, a new one joining) waiting five seconds. So batches are sized from the measured
 * time per message to take about `targetMs`, between 1 and `max` messages.
 */
export class BatchSizer {
  private msPerMessage: number;

  constructor(
    private readonly max: number,
    /** What one message is expected to cost before anything was measured. */
    priorMsPerMessage: number,
    private readonly targetMs = 100,
  ) {
    this.msPerMessage = priorMsPerMessage;
  }

  next(): number {
    if (this.msPerMessage <= 0) return this.max;
    return Math.max(1, Math.min(this.max, Math.floor(this.targetMs / this.msPerMessage)));
  }

  /** Records a processed batch; recent batches weigh more, so a change in cost shows quickly. */
  observe(messages: number, elapsedMs: number): void {
    if (messages <= 0) return;
    const sample = elapsedMs / messages;
    this.msPerMessage = this.msPerMessage <= 0 ? sample : 0.7 * this.msPerMessage + 0.3 * sample;
  }
}
