import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import path from 'node:path';
import { freePort } from './broker';
import { brokers } from './kafka';
import { waitFor } from './wait';

const MAIN = path.resolve(__dirname, '../../src/main.js');

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export interface Status {
  name: string;
  memberId: string | null;
  state: string;
  ready: boolean;
  idle: boolean;
  inFlight: { partition: number; offset: number } | null;
  groupProtocol: string;
  assignmentStrategy: string | null;
  assignedPartitions: { partition: number; committed: number | null; lag: number | null }[];
  rebalances: Record<string, number>;
}

/**
 * The built consumer (or load generator), run as a real child process exactly as in production. Its JSON log lines
 * are collected; at LOG_LEVEL=trace they include one "processed" line per message, which is how
 * tests see every message that was processed.
 */
export class ConsumerProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ level: 'raw', msg: line });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
  }

  static async start(name: string, env: Record<string, string>, command: 'consumer' | 'loadgen' | 'observer' = 'consumer'): Promise<ConsumerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN, command], {
      env: { PATH: process.env.PATH, KAFKA_BROKERS: env.KAFKA_BROKERS ?? brokers(), CONSUMER_NAME: name, METRICS_PORT: String(port), LOG_LEVEL: 'trace', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ConsumerProcess(name, port, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async status(): Promise<Status> {
    const res = await fetch(`http://127.0.0.1:${this.port}/status`);
    return (await res.json()) as Status;
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
  }

  async readyz(): Promise<number> {
    return (await fetch(`http://127.0.0.1:${this.port}/readyz`)).status;
  }

  /** Any HTTP call to this process; returns status and parsed JSON body. */
  async http(method: string, path: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { method, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Owned partitions according to /status, or null if it does not answer. */
  async owned(): Promise<number[] | null> {
    if (this.exitCode !== null || this.exitSignal !== null) return null;
    try {
      return (await this.status()).assignedPartitions.map((p) => p.partition);
    } catch {
      return null;
    }
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => (await this.readyz()) === 200, { timeoutMs, what: `${this.name} to be ready` });
  }

  /** (partition, partitionSeq) of every message this process logged as processed. */
  processed(): { partition: number; partitionSeq: number; offset: number }[] {
    return this.lines
      .filter((l) => l.msg === 'processed' && typeof l.partitionSeq === 'number')
      .map((l) => ({ partition: l.partition as number, partitionSeq: l.partitionSeq as number, offset: l.offset as number }));
  }

  events(type: 'assign' | 'revoke' | 'lost'): LogLine[] {
    return this.lines.filter((l) => l.event === type);
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async exit(timeoutMs = 15_000): Promise<void> {
    await Promise.race([this.exited, new Promise((_, rej) => setTimeout(() => rej(new Error(`${this.name} did not exit`)), timeoutMs))]);
  }

  /** Ends the process whatever its state; for test clean-up. */
  async kill(): Promise<void> {
    if (this.exitCode === null && this.exitSignal === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Reads one sample from Prometheus text, matching every given label. */
/**
 * The value of the first series of `name` whose labels include `labels`, or null if none does.
 * For a promise about every series (every partition, say) use metricSum: this reads one.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

/**
 * The sum over every series of `name` whose labels include `labels`. Throws when there is none, so
 * that "the sum is 0" cannot pass because the metric was never exported or is misspelt.
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let series = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    series++;
  }
  if (series === 0) throw new Error(`no series of ${name}${Object.keys(labels).length ? ` with ${JSON.stringify(labels)}` : ''} in the metrics`);
  return sum;
}

/**
 * A list for the processes a suite starts; call inside `describe`. Whatever the outcome, every
 * process on it is killed when the suite ends, so a failed test leaves nothing running.
 */
export function endedAfterSuite(): ConsumerProcess[] {
  const running: ConsumerProcess[] = [];
  after(async () => {
    await Promise.all(running.map((c) => c.kill()));
  });
  return running;
}
