import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { BucketHistogram } from '../../src/consumer/bucket-histogram';

const BOUNDS = [0.001, 0.01, 0.1, 1, 10];

function registries(): { ours: Registry; reference: Registry; histogram: BucketHistogram; promClient: Histogram<string> } {
  const ours = new Registry();
  const reference = new Registry();
  for (const r of [ours, reference]) r.setDefaultLabels({ consumer: 'lab-consumer-1' });
  const histogram = new BucketHistogram('lab_test_seconds', 'A test histogram.', BOUNDS, ours);
  const promClient = new Histogram({ name: 'lab_test_seconds', help: 'A test histogram.', buckets: BOUNDS, registers: [reference] });
  return { ours, reference, histogram, promClient };
}

describe('the per-message histogram', () => {
  test('a scrape shows exactly what prom-client\'s Histogram shows for the same observations', async () => {
    const { ours, reference, histogram, promClient } = registries();
    assert.equal(await ours.metrics(), await reference.metrics(), 'before any observation');
    // Values on a bound belong to that bucket (le is "less or equal"); beyond the last, only +Inf.
    const values = [0, 0.0005, 0.001, 0.0010001, 0.05, 0.1, 1, 3, 10, 11, 1e6, 0.25];
    for (const v of values) {
      histogram.observe(v);
      promClient.observe(v);
    }
    const text = await ours.metrics();
    assert.equal(text, await reference.metrics());
    assert.match(text, /lab_test_seconds_bucket\{le="0.001",consumer="lab-consumer-1"\} 3\n/);
    assert.match(text, /lab_test_seconds_bucket\{le="\+Inf",consumer="lab-consumer-1"\} 12\n/);
    assert.match(text, /lab_test_seconds_count\{consumer="lab-consumer-1"\} 12\n/);
  });

  test('observeMany(v, n) shows as n observations of v, on a bound and between bounds', async () => {
    const { ours, reference, histogram, promClient } = registries();
    // Powers of two, so that n additions and one multiplication give the same sum exactly.
    for (const [v, n] of [[1, 3], [2 ** -10, 500], [2, 1], [0.5, 0], [Number.NaN, 4]] as const) {
      histogram.observeMany(v, n);
      if (Number.isFinite(v)) for (let i = 0; i < n; i++) promClient.observe(v);
    }
    assert.equal(await ours.metrics(), await reference.metrics());
    assert.match(await ours.metrics(), /lab_test_seconds_count\{consumer="lab-consumer-1"\} 504\n/);
  });

  test('reset empties it, as resetMetrics() does for prom-client\'s metrics', async () => {
    const { ours, reference, histogram } = registries();
    histogram.observe(0.5);
    ours.resetMetrics();
    assert.equal(await ours.metrics(), await reference.metrics());
  });

  test('bounds that do not increase are refused at construction', () => {
    assert.throws(() => new BucketHistogram('lab_bad_seconds', 'x', [1, 1], new Registry()), /must increase/);
  });
});
