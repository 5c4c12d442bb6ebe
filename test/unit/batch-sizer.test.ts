import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatchSizer } from '../../src/consumer/batch-sizer';

describe('sizing consume batches so rebalances are served within about 100 ms', () => {
  test('before any measurement, the expected cost per message decides', () => {
    assert.equal(new BatchSizer(500, 10).next(), 10, '10 ms each: 10 messages per 100 ms');
    assert.equal(new BatchSizer(500, 0).next(), 500, 'no simulated work: the full batch');
    assert.equal(new BatchSizer(500, 1000).next(), 1, 'never fewer than one');
  });

  test('the measured cost takes over', () => {
    const b = new BatchSizer(500, 0);
    b.observe(500, 2500);
    assert.equal(b.next(), 20, '5 ms each');
    for (let i = 0; i < 20; i++) b.observe(100, 10);
    assert.equal(b.next(), 500, 'back to the full batch once messages are cheap again');
  });

  test('an empty batch changes nothing', () => {
    const b = new BatchSizer(500, 10);
    b.observe(0, 200);
    assert.equal(b.next(), 10);
  });
});
