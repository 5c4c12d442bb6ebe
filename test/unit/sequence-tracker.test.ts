import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SequenceTracker } from '../../src/consumer/sequence-tracker';

describe('sequence tracking per partition', () => {
  test('consecutive sequences are "next"; the first one seen is "first"', () => {
    const t = new SequenceTracker();
    assert.equal(t.observe(0, 'r', 5, 4).verdict, 'first');
    assert.equal(t.observe(0, 'r', 6, 5).verdict, 'next');
    assert.equal(t.observe(1, 'r', 1, 0).verdict, 'first', 'partitions are tracked apart');
  });

  test('a sequence at or below one already processed is a redelivery', () => {
    const t = new SequenceTracker();
    t.observe(0, 'r', 1, 0);
    t.observe(0, 'r', 2, 1);
    assert.equal(t.observe(0, 'r', 2, 1).verdict, 'redelivery');
    assert.equal(t.observe(0, 'r', 1, 0).verdict, 'redelivery');
    assert.equal(t.observe(0, 'r', 3, 2).verdict, 'next', 'after the redelivered ones, progress continues');
  });

  test('a jump while the partition stayed owned is a gap, with the number missing', () => {
    const t = new SequenceTracker();
    t.observe(0, 'r', 1, 0);
    assert.deepEqual(t.observe(0, 'r', 5, 4), { verdict: 'gap', missing: 3 });
    assert.equal(t.observe(0, 'r', 6, 5).verdict, 'next');
  });

  test('after a reassignment the first message may jump (others processed meanwhile) without counting a gap', () => {
    const t = new SequenceTracker();
    t.observe(0, 'r', 1, 0);
    t.assigned(0);
    assert.deepEqual(t.observe(0, 'r', 40, 39), { verdict: 'first', missing: 0 });
    assert.equal(t.observe(0, 'r', 42, 41).verdict, 'gap', 'but a jump after that is a gap again');
  });

  test('a partition that comes back exactly where this process left off was processed by nobody else: a jump there is a gap', () => {
    const t = new SequenceTracker();
    t.observe(0, 'r', 1, 0);
    t.observe(0, 'r', 2, 1);
    // An eager rebalance revokes everything and gives this partition straight back.
    t.assigned(0);
    assert.deepEqual(t.observe(0, 'r', 5, 2), { verdict: 'gap', missing: 2 }, 'offset 2 follows offset 1: no hand-over excuse');
  });

  test('after a reassignment, a sequence this process already handled is still a redelivery', () => {
    const t = new SequenceTracker();
    t.observe(0, 'r', 1, 0);
    t.observe(0, 'r', 2, 1);
    t.assigned(0);
    assert.equal(t.observe(0, 'r', 2, 1).verdict, 'redelivery');
  });

  test('a new load-generator run restarts the sequence without a false redelivery', () => {
    const t = new SequenceTracker();
    t.observe(0, 'old', 100, 99);
    assert.equal(t.observe(0, 'new', 1, 0).verdict, 'first');
    assert.equal(t.observe(0, 'new', 2, 1).verdict, 'next');
  });
});
