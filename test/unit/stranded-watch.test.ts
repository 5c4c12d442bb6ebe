import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STRANDED_AFTER_MS, StrandedWatch } from '../../src/consumer/stranded-watch';

describe('a consumer left with no broker by librdkafka (issue #5301)', () => {
  test('is reported once, after the grace time with no broker at all, and its recovery once', () => {
    const w = new StrandedWatch();
    assert.equal(w.observe(2, 0), null);
    assert.equal(w.observe(0, 1000), null);
    assert.equal(w.observe(0, 1000 + STRANDED_AFTER_MS - 1), null);
    assert.equal(w.observe(0, 1000 + STRANDED_AFTER_MS), 'stranded');
    assert.equal(w.for(1000 + STRANDED_AFTER_MS), STRANDED_AFTER_MS);
    assert.equal(w.observe(0, 2000 + STRANDED_AFTER_MS), null, 'said once');
    assert.equal(w.observe(1, 3000 + STRANDED_AFTER_MS), 'recovered');
    assert.equal(w.observe(1, 4000 + STRANDED_AFTER_MS), null);
  });

  test('a broker outage is not it: the brokers are down but still there to reconnect to', () => {
    const w = new StrandedWatch();
    for (let t = 0; t <= 60_000; t += 1000) assert.equal(w.observe(2, t), null);
  });

  test('librdkafka re-adding the bootstrap servers at once is not it either', () => {
    const w = new StrandedWatch();
    assert.equal(w.observe(0, 0), null);
    assert.equal(w.observe(1, 1000), null);
    assert.equal(w.observe(0, 2000), null);
    assert.equal(w.observe(0, 2000 + STRANDED_AFTER_MS - 1), null, 'the grace time starts again');
  });
});
