import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { freePort } from '../support/broker';
import { waitFor } from '../support/wait';

// Published node-rdkafka hands each consume(n) batch over one message object at a time, about 3x
// slower than our patched build; a mismatched install used to fall back to it without a word.
// No broker is needed: the check runs at start, before the consumer reaches Kafka.

const PRELOAD = path.resolve(__dirname, '../support/unpatched-node-rdkafka.js');

async function startAndReadHandoff(name: string, env: Record<string, string>) {
  const c = await ConsumerProcess.start(name, { KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, LOG_LEVEL: 'info', ...env });
  await waitFor(() => c.lines.find((l) => l.msg === 'consumer starting'), { timeoutMs: 15_000, what: 'the start line' });
  const metrics = await c.metrics();
  const handoffLines = c.lines.filter((l) => 'consumeHandoff' in l);
  const gauge = (handoff: string) => {
    const m = new RegExp(`^lab_consumer_consume_handoff\\{[^}]*handoff="${handoff}"[^}]*\\} (\\d+)$`, 'm').exec(metrics);
    return m ? Number(m[1]) : undefined;
  };
  return { c, handoffLines, columnar: gauge('columnar'), objects: gauge('objects') };
}

describe('which consume hand-off the consumer runs with', () => {
  const running = endedAfterSuite();

  test('on our patched node-rdkafka it logs the batch (columnar) hand-off at start, and the metric says so', async () => {
    const r = await startAndReadHandoff('patched', {});
    running.push(r.c);
    assert.equal(r.handoffLines.length, 1, 'one line names the hand-off');
    assert.equal(r.handoffLines[0].level, 'info');
    assert.equal(r.handoffLines[0].consumeHandoff, 'columnar');
    assert.equal(r.columnar, 1);
    assert.equal(r.objects, 0);
  });

  for (const [unpatched, what] of [['addon', 'the loaded C++ addon is not the patched build'], ['js', "node-rdkafka's JavaScript is not the patched one"]] as const) {
    test(`when ${what}, one warn line at start says so and the metric reports the per-message hand-off`, async () => {
      const r = await startAndReadHandoff(`unpatched-${unpatched}`, { NODE_OPTIONS: `--require ${PRELOAD}`, UNPATCHED: unpatched });
      running.push(r.c);
      assert.equal(r.handoffLines.length, 1, 'one line names the hand-off');
      assert.equal(r.handoffLines[0].level, 'warn');
      assert.equal(r.handoffLines[0].consumeHandoff, 'objects');
      assert.match(String(r.handoffLines[0].msg), /not (the )?patched/);
      assert.equal(r.columnar, 0);
      assert.equal(r.objects, 1);
      // The process keeps running: slower, not broken.
      assert.equal((await r.c.http('GET', '/healthz')).status, 200);
    });
  }
});
