import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { KafkaClientMessage, ObserverMessage } from './kafka-client-messages';

export interface KafkaClientExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When it ended, in ms since the epoch. */
  at: number;
}

export interface KafkaClientState {
  pid: number | null;
  running: boolean;
  /** Processes started after the first one. */
  restarts: number;
  lastExit: KafkaClientExit | null;
}

export interface SupervisorOptions {
  env: NodeJS.ProcessEnv;
  onMessage: (m: KafkaClientMessage) => void;
  /** A process ended unasked; another starts in `restartInMs`. */
  onExit: (exit: KafkaClientExit, restartInMs: number) => void;
  /** The first restart waits this long; each exit before a successful poll doubles it, up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** The module the process runs; the compiled kafka-client-process.js beside this file. */
  modulePath?: string;
}

/**
 * Runs the observer's Kafka client (kafka-client-process) as a child process and starts a new one
 * whenever it ends unasked, after a back-off that grows while processes die before they poll
 * successfully, so a client that aborts at every start does not spin.
 */
export class KafkaClientSupervisor {
  private child: ChildProcess | null = null;
  private stopping = false;
  private exitsWithoutPoll = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly exitCounts = new Map<string, number>();
  readonly state: KafkaClientState = { pid: null, running: false, restarts: 0, lastExit: null };

  constructor(private readonly options: SupervisorOptions) {}

  /** Exits so far by reason: the signal's name, or `exit_<code>`. */
  exits(): ReadonlyMap<string, number> {
    return this.exitCounts;
  }

  start(): void {
    const child = fork(this.options.modulePath ?? path.join(__dirname, 'kafka-client-process.js'), [], {
      env: this.options.env,
      // stderr inherited: librdkafka's assertion message is the first thing to read after an abort.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    this.state.pid = child.pid ?? null;
    this.state.running = true;
    child.on('message', (m: KafkaClientMessage) => {
      if (m.type === 'polled') this.exitsWithoutPoll = 0;
      this.options.onMessage(m);
    });
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      if (this.child === child) this.child = null;
      this.state.running = false;
      this.state.pid = null;
      const exit: KafkaClientExit = { code, signal, at: Date.now() };
      this.state.lastExit = exit;
      if (this.stopping) return;
      const reason = signal ?? `exit_${code}`;
      this.exitCounts.set(reason, (this.exitCounts.get(reason) ?? 0) + 1);
      const base = this.options.backoffMs ?? 250;
      const delay = Math.min(base * 2 ** this.exitsWithoutPoll, this.options.maxBackoffMs ?? 30_000);
      this.exitsWithoutPoll++;
      this.options.onExit(exit, delay);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.stopping) return;
        this.state.restarts++;
        this.start();
      }, delay);
    };
    child.once('exit', end);
    // A process that could not be started (no pid) sends no 'exit': treat it as one that ended.
    child.on('error', () => {
      if (child.pid === undefined) end(null, null);
    });
  }

  /** Asks the process to close its client and end; SIGKILL if it has not within `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      child.send({ type: 'stop' } satisfies ObserverMessage);
    } catch {
      // The channel is closing: the process sees the disconnect and stops by itself.
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(killer);
  }
}
