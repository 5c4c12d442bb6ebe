import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';

const MAIN = path.resolve(__dirname, '../../src/main.js');

function run(command: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, command], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('a bad environment variable stops the program at start, naming the variable and what is accepted', () => {
  const cases: { command: string; env: Record<string, string>; expect: RegExp[] }[] = [
    { command: 'consumer', env: { ASSIGNMENT_STRATEGY: 'sticky' }, expect: [/ASSIGNMENT_STRATEGY="sticky"/, /range, roundrobin, cooperative-sticky/] },
    { command: 'consumer', env: { PROCESSING_MS: 'ten' }, expect: [/PROCESSING_MS="ten"/, /integer from 0 to 60000/] },
    { command: 'consumer', env: { KAFKA_BROKERS: '' }, expect: [/KAFKA_BROKERS=""/, /host:port/] },
    { command: 'consumer', env: { KAFKA_BROKERS: 'kafka' }, expect: [/KAFKA_BROKERS="kafka"/, /host:port/] },
    { command: 'consumer', env: { METRICS_PORT: '70000' }, expect: [/METRICS_PORT="70000"/, /integer from 1 to 65535/] },
    { command: 'consumer', env: { GROUP_PROTOCOL: 'kip848' }, expect: [/GROUP_PROTOCOL="kip848"/, /classic, consumer/] },
    { command: 'consumer', env: { GROUP_PROTOCOL: 'consumer', ASSIGNMENT_STRATEGY: 'range' }, expect: [/ASSIGNMENT_STRATEGY="range" is not accepted with GROUP_PROTOCOL=consumer/, /GROUP_PROTOCOL=classic/] },
    { command: 'consumer', env: { SESSION_TIMEOUT_MS: '3000', HEARTBEAT_INTERVAL_MS: '3000' }, expect: [/HEARTBEAT_INTERVAL_MS=3000/, /less than SESSION_TIMEOUT_MS=3000/] },
    { command: 'consumer', env: { LOG_LEVEL: 'verbose' }, expect: [/LOG_LEVEL="verbose"/, /fatal, error, warn, info, debug, trace/] },
    { command: 'loadgen', env: { RATE: 'fast' }, expect: [/RATE="fast"/, /integer from 0 to 1000000/] },
    { command: 'loadgen', env: { RATE: '9000' }, expect: [/RATE=9000 is not accepted: expected at most MAX_RATE=5000/] },
    { command: 'loadgen', env: { EXTERNAL_LISTENER: 'kafka' }, expect: [/EXTERNAL_LISTENER="kafka"/, /host:port/] },
    { command: 'consumer', env: { LAB_PROTOCOL: 'kip848', GROUP_PROTOCOL: 'classic' }, expect: [/GROUP_PROTOCOL="classic" contradicts LAB_PROTOCOL=kip848/] },
    { command: 'loadgen', env: { TOPIC_PARTITIONS: '0' }, expect: [/TOPIC_PARTITIONS="0"/, /integer from 1 to 10000/] },
  ];
  for (const c of cases) {
    test(`${c.command} with ${Object.entries(c.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')} exits 2`, async () => {
      const r = await run(c.command, c.env);
      assert.equal(r.code, 2);
      for (const re of c.expect) assert.match(r.stderr, re);
      assert.equal(r.stdout, '', 'nothing was started');
    });
  }

  test('every problem is reported at once, and a secret value is never echoed', async () => {
    const r = await run('consumer', { PROCESSING_MS: '-1', BATCH_SIZE: 'many', KAFKA_SECURITY_PROTOCOL: 'tls', KAFKA_SASL_PASSWORD: 'pa55-w0rd-secret' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PROCESSING_MS="-1"/);
    assert.match(r.stderr, /BATCH_SIZE="many"/);
    assert.match(r.stderr, /KAFKA_SECURITY_PROTOCOL="tls"/);
    assert.doesNotMatch(r.stderr, /pa55-w0rd-secret/);
  });

  for (const command of ['consumer', 'loadgen']) {
    test(`${command} exits 2 naming METRICS_PORT when the port is already in use`, async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, r));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const r = await run(command, { METRICS_PORT: String(port), KAFKA_BROKERS: '127.0.0.1:1' });
        assert.equal(r.code, 2);
        assert.match(r.stderr, new RegExp(`METRICS_PORT=${port} cannot be used \\(EADDRINUSE\\)`));
      } finally {
        blocker.close();
      }
    });
  }

  test('an unknown command prints the usage and exits 2', async () => {
    const r = await run('producer', {});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: .* <consumer\|loadgen\|observer\|join\|rate\|partitions\|status>/);
  });
});
