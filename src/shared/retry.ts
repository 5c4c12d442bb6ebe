/**
 * Retrying a connect until it works, shared by the consumer and the load generator: both start
 * before Kafka may be up (Docker Swarm holds nothing back until the broker is healthy), and both
 * must stay responsive, and stoppable, while they wait.
 */

/** The wait after failed attempt `attempt` (1, 2, ...): one second, doubling, up to `maxMs`. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 1000 * 2 ** (attempt - 1));
}

export interface RetryOptions {
  maxBackoffMs: number;
  /** Checked before each attempt: false once a stop was asked for. */
  keepGoing(): boolean;
  /**
   * An attempt failed; called before the wait. The place to log it and to replace a client that
   * cannot be connected again (see the callers).
   */
  failed(err: unknown, attempt: number, retryInMs: number): void;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs `attempt` until it resolves (done, with its value) or `keepGoing` says stop (not done). */
export async function retryUntilDone<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<{ done: true; value: T } | { done: false }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; options.keepGoing(); n++) {
    try {
      return { done: true, value: await attempt() };
    } catch (err) {
      const wait = backoffMs(n, options.maxBackoffMs);
      options.failed(err, n, wait);
      await sleep(wait);
    }
  }
  return { done: false };
}
