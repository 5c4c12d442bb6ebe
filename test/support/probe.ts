/**
 * Calls an HTTP endpoint over and over, as a liveness probe would, and records how long each
 * answer took. A request that gets no answer within `timeoutMs` counts as taking that long.
 */
export class LatencyProbe {
  private worstMs = 0;
  private calls = 0;
  private failures = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    { intervalMs = 20, timeoutMs = 2000 }: { intervalMs?: number; timeoutMs?: number } = {},
  ) {
    this.loop = (async () => {
      while (this.running) {
        const started = performance.now();
        try {
          const res = await fetch(this.url, { signal: AbortSignal.timeout(timeoutMs) });
          await res.arrayBuffer();
          if (!res.ok) this.failures++;
        } catch {
          this.failures++;
        }
        this.worstMs = Math.max(this.worstMs, performance.now() - started);
        this.calls++;
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  /** Stops probing; returns the slowest answer in milliseconds, how many calls, how many failed. */
  async stop(): Promise<{ worstMs: number; calls: number; failures: number }> {
    this.running = false;
    await this.loop;
    return { worstMs: Math.round(this.worstMs), calls: this.calls, failures: this.failures };
  }
}
