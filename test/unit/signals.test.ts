import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

describe('exit codes of the orderly stop', () => {
  test('a fatal error during a SIGTERM stop exits 3, not as if a second signal came', async () => {
    const child = spawn(process.execPath, ['-e', PROGRAM], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve) =>
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('ready')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 3);
    assert.doesNotMatch(out, /second signal/);
  });
});
