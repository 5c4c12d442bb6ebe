/**
 * Decides how many messages are due at each tick to hold a target rate. A token bucket whose
 * burst is capped, so that after a stall (queue full, broker down) the generator resumes at the
 * target rate instead of firing everything it "owes".
 */
export class Pacer {
  private allowance = 0;
  private last: number;

  constructor(
    private rate: number,
    now: number,
    private readonly maxBurstSeconds = 0.25,
  ) {
    this.last = now;
  }

  get target(): number {
    return this.rate;
  }

  setRate(rate: number, now: number): void {
    this.rate = rate;
    this.allowance = 0;
    this.last = now;
  }

  /** Messages to send now; the caller reports back with `unsent` those it could not send. */
  due(now: number): number {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    // At least 2: a cap of 1 would clip the fraction carried over at rates below one per tick.
    const cap = Math.max(2, this.rate * this.maxBurstSeconds);
    this.allowance = Math.min(cap, this.allowance + elapsed * this.rate);
    // The tolerance keeps 100 ticks of 0.03 from summing to 2.9999... and losing a message.
    const n = Math.floor(this.allowance + 1e-9);
    this.allowance -= n;
    return n;
  }

  unsent(n: number): void {
    this.allowance += n;
  }
}
