import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerMetrics } from '../../src/consumer/metrics';
import type { LifecycleState } from '../../src/consumer/lifecycle';

async function scrape(m: ConsumerMetrics): Promise<{ state: string[]; ready: number | undefined }> {
  const state = await m.registry.getSingleMetric('lab_consumer_state')!.get();
  const ready = await m.registry.getSingleMetric('lab_consumer_ready')!.get();
  return { state: state.values.filter((v) => v.value === 1).map((v) => String(v.labels.state)), ready: ready.values[0]?.value };
}

describe('the state and readiness gauges', () => {
  test('each scrape shows the state and readiness at that moment, whatever changed them in between', async () => {
    const m = new ConsumerMetrics({ name: 't', group: 'g', topic: 'orders', clientId: 't', groupProtocol: 'classic', assignmentStrategy: 'range' });
    assert.deepEqual(await scrape(m), { state: ['starting'], ready: 0 }, 'before the member is wired');

    let now: { state: LifecycleState; ready: boolean } = { state: 'connecting', ready: false };
    m.readState(() => now);
    assert.deepEqual(await scrape(m), { state: ['connecting'], ready: 0 });

    // Readiness can change with nothing telling the metrics (a statistics line says a broker is
    // back, the group assigns): the scrape still sees it.
    now = { state: 'running', ready: true };
    assert.deepEqual(await scrape(m), { state: ['running'], ready: 1 });
    now = { state: 'running', ready: false };
    assert.deepEqual(await scrape(m), { state: ['running'], ready: 0 });
    now = { state: 'stopped', ready: false };
    assert.deepEqual(await scrape(m), { state: ['stopped'], ready: 0 });
  });
});
