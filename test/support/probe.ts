import { monitorEventLoopDelay } from 'node:perf_hooks';
import { metricValue } from './consumer-process';

/**
 * Calls an HTTP endpoint over and over, as a liveness probe would, and records how long each
 * answer took. A request that gets no answer within `timeoutMs` counts as taking that long.
 */
export class LatencyProbe {
  private readonly samples: number[] = [];
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
        this.samples.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  /** Stops probing; returns the slowest answer and the 99th percentile in milliseconds, how many calls, how many failed. */
  async stop(): Promise<{ worstMs: number; p99Ms: number; calls: number; failures: number }> {
    this.running = false;
    await this.loop;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return { worstMs: at(1), p99Ms: at(0.99), calls: sorted.length, failures: this.failures };
  }
}

/**
 * The longest time a consumer's JavaScript thread could not serve anything, from its own
 * measurement (prom-client's nodejs_eventloop_lag_max_seconds, reset at every scrape). Unlike a
 * probe's round trip it leaves out how busy the machine running the test is.
 */
export class EventLoopWatch {
  private worstMs = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(metricsUrl: string, intervalMs = 250) {
    this.loop = (async () => {
      while (this.running) {
        try {
          const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
          this.worstMs = Math.max(this.worstMs, (metricValue(text, 'nodejs_eventloop_lag_max_seconds') ?? 0) * 1000);
        } catch {
          // No answer within 5 s: the /healthz probe beside this one records that.
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return Math.round(this.worstMs);
  }
}

/**
 * This test process's own event-loop delay over a stretch of time: how busy the machine is at that
 * moment (the other test runs, the broker, compilers beside it). A timing promise is checked
 * against what was promised plus this stall, the same-moment reference the load tests use.
 */
export class MachineNoise {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.histogram.enable();
  }

  /** The longest stall seen, in milliseconds. */
  stop(): number {
    this.histogram.disable();
    return Math.round(this.histogram.max / 1e6);
  }
}

/** A promised duration plus the machine's own stall beyond 50 ms over the same time (a 10 ms resolution timer sees up to ~50 ms on an idle machine). */
export function allowanceMs(promisedMs: number, noiseMs: number): number {
  return promisedMs + Math.max(0, noiseMs - 50);
}
