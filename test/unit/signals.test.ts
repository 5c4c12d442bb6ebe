import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';

const SIGNALS = path.resolve(__dirname, '../../src/shared/signals.js');
const LOGGER = path.resolve(__dirname, '../../src/shared/logger.js');

/**
 * A program whose graceful stop takes 5 s and that hits a fatal error 200 ms into it, as a
 * consumer fenced while it stops would.
 */
const PROGRAM = `
const { onShutdownSignals } = require(${JSON.stringify(SIGNALS)});
const { createLogger } = require(${JSON.stringify(LOGGER)});
const shutdown = onShutdownSignals(createLogger('info', {}), 10000, () => {
  setTimeout(() => shutdown('fatal Kafka error', 3), 200);
  return new Promise((r) => setTimeout(r, 5000));
});
process.stdout.write('ready\\n');
setInterval(() => undefined, 1000);
`;

/** Runs a program with `node -e` and waits until it says "ready"; `out()` is its stdout so far. */
async function startReady(program: string): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve) =>
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('ready')) resolve();
    }),
  );
  return { child, out: () => out };
}

/**
 * Sends SIGTERM and returns how the program ended (its exit code, or the signal that ended it), or
 * 'still running' after `waitMs`, then killing it so that no test leaves it behind.
 */
async function sigtermOutcome(child: ChildProcess, waitMs: number): Promise<NodeJS.Signals | number | null | 'still running'> {
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  child.kill('SIGTERM');
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), waitMs).unref());
  const outcome = await Promise.race([exited, timeout]);
  if (outcome === 'still running') child.kill('SIGKILL');
  return outcome;
}

describe('exit codes of the orderly stop', () => {
  test('a fatal error during a SIGTERM stop exits 3, not as if a second signal came', async () => {
    const program = await startReady(PROGRAM);
    const exited = new Promise<number | null>((resolve) => program.child.once('exit', (code) => resolve(code)));
    program.child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 3);
    assert.doesNotMatch(program.out(), /second signal/);
  });
});

/**
 * A program whose stop never ends because a call is stuck on a libuv worker thread, as
 * librdkafka's close is when the network to the broker went silent: Node's own exit waits for
 * every worker thread, so process.exit() would hang too. crypto.pbkdf2 with a huge iteration count
 * holds a worker thread the same way, without Kafka.
 */
const STUCK_PROGRAM = `
const crypto = require('node:crypto');
const { onShutdownSignals } = require(${JSON.stringify(SIGNALS)});
const { createLogger } = require(${JSON.stringify(LOGGER)});
let stuck = false;
onShutdownSignals(createLogger('info', {}), 500, () => {
  stuck = true;
  return new Promise((resolve) => crypto.pbkdf2('x', 'y', 2e9, 64, 'sha512', () => resolve()));
}, { nativeCallPending: () => stuck });
process.stdout.write('ready\\n');
setInterval(() => undefined, 1000);
`;

describe('a stop stuck in a native call', () => {
  test("ends the process soon after the deadline instead of hanging in Node's exit, and says why", async () => {
    const { child, out } = await startReady(STUCK_PROGRAM);
    const started = Date.now();
    const outcome = await sigtermOutcome(child, 5000);
    assert.equal(outcome, 'SIGKILL', 'ended by SIGKILL, the one way out while a worker thread is held');
    assert.ok(Date.now() - started < 3000, `ended ${Date.now() - started} ms after SIGTERM (deadline 500 ms)`);
    assert.match(out(), /waiting for a broker that does not answer/);
  });
});

/** A stop held by a native call for about a second, with a fatal error 200 ms into it. */
const FATAL_WHILE_STUCK_PROGRAM = `
const crypto = require('node:crypto');
const { onShutdownSignals } = require(${JSON.stringify(SIGNALS)});
const { createLogger } = require(${JSON.stringify(LOGGER)});
let stuck = false;
const shutdown = onShutdownSignals(createLogger('info', {}), 10000, () => {
  stuck = true;
  setTimeout(() => shutdown('fatal Kafka error', 3), 200);
  return new Promise((resolve) => crypto.pbkdf2('x', 'y', 1e6, 64, 'sha512', () => { stuck = false; resolve(); }));
}, { nativeCallPending: () => stuck });
process.stdout.write('ready\\n');
setInterval(() => undefined, 1000);
`;

describe('a fatal error while a native call holds the stop', () => {
  test('exits 3 once the call returns, neither hanging nor killed', async () => {
    const { child } = await startReady(FATAL_WHILE_STUCK_PROGRAM);
    assert.equal(await sigtermOutcome(child, 15_000), 3);
  });
});
