import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { freePort } from '../support/broker';
import { waitFor } from '../support/wait';

describe('when no broker can be reached', () => {
  const running = endedAfterSuite();

  test('the consumer keeps retrying, says so in its logs, is alive but not ready, and still stops cleanly', async () => {
    const closedPort = await freePort();
    const c = await ConsumerProcess.start('lonely', {
      KAFKA_BROKERS: `127.0.0.1:${closedPort}`,
      LOG_LEVEL: 'info',
      KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
      KAFKA_SASL_USERNAME: 'lab',
      KAFKA_SASL_PASSWORD: 'pa55-w0rd-secret',
    });
    running.push(c);
    const retrying = await waitFor(() => c.lines.find((l) => l.msg === 'cannot reach Kafka; retrying'), { timeoutMs: 20_000, what: 'a retry log line' });
    assert.equal(retrying.level, 'warn');
    assert.equal((await c.http('GET', '/healthz')).status, 200);
    assert.equal(await c.readyz(), 503);
    assert.equal((await c.status()).state, 'connecting');

    const start = c.lines.find((l) => l.msg === 'consumer starting');
    assert.ok(start, 'a start line with the configuration');
    assert.equal((start.config as { security: { saslPassword: string } }).security.saslPassword, '[redacted]');
    assert.ok(!c.lines.some((l) => JSON.stringify(l).includes('pa55-w0rd-secret')), 'the password appears in no log line');
    assert.ok(!(await c.metrics()).includes('pa55-w0rd-secret'), 'nor in the metrics');

    c.signal('SIGTERM');
    await c.exit(12_000);
    assert.equal(c.exitCode, 0);
  });
});
