import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Assignment } from '../../src/consumer/assignment';

function clock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('what a member owns and what it must commit', () => {
  test('assign adds partitions and reports only the ones gained', () => {
    const a = new Assignment();
    assert.deepEqual(a.assign([0, 1]), [0, 1]);
    assert.deepEqual(a.assign([1, 2]), [2], 'incremental assignment adds to what is owned');
    assert.deepEqual(a.partitions(), [0, 1, 2]);
    assert.equal(a.joined, true);
  });

  test('a member that lost its assignment is out of the group (not ready) until it is assigned again; a plain revocation keeps it in', () => {
    const a = new Assignment();
    a.assign([0, 1]);
    a.beginRevoke([1]);
    a.finishRevoke([1], 'revoke');
    assert.equal(a.joined, true, 'a graceful revocation is part of membership');
    a.beginRevoke([0]);
    a.finishRevoke([0], 'lost');
    assert.equal(a.joined, false, 'lost: no longer a member');
    a.assign([0]);
    assert.equal(a.joined, true);
  });

  test('an empty assignment still means the member joined (it is idle)', () => {
    const a = new Assignment();
    assert.equal(a.joined, false);
    a.assign([]);
    assert.equal(a.joined, true);
    assert.deepEqual(a.partitions(), []);
  });

  test('only processed progress is stored for the commit', () => {
    const a = new Assignment();
    a.assign([0, 1, 2]);
    a.processed(0, 41);
    a.processed(1, 7);
    assert.equal(a.nextOffset(0), 42, 'offset + 1 of the last processed message');
    assert.equal(a.nextOffset(1), 8);
    assert.equal(a.nextOffset(2), null, 'partition 2 processed nothing');
  });

  test('from the start of a revocation the partition is no longer processed, and after it is gone', () => {
    const a = new Assignment();
    a.assign([0, 1]);
    a.beginRevoke([1]);
    assert.equal(a.isActive(0), true);
    assert.equal(a.isActive(1), false);
    a.processed(1, 9);
    assert.equal(a.nextOffset(1), 10, 'the in-flight message finishing during revoke is still committed');
    assert.deepEqual(a.finishRevoke([1], 'revoke'), [1]);
    assert.deepEqual(a.partitions(), [0]);
    a.processed(1, 10);
    assert.equal(a.nextOffset(1), null, 'progress on a partition no longer owned is ignored');
  });

  test('rebalances are counted by type and the duration runs from the first callback to the assignment', () => {
    const c = clock();
    const a = new Assignment(c.now);
    a.assign([0, 1, 2, 3]);
    c.advance(5000);
    a.beginRevoke([0, 1, 2, 3]);
    c.advance(120);
    a.finishRevoke([0, 1, 2, 3], 'revoke');
    c.advance(380);
    a.assign([0, 1]);
    assert.equal(a.lastRebalance()!.durationMs, 500);
    assert.deepEqual(a.lastRebalance()!.partitions, [0, 1]);
    a.beginRevoke([1]);
    a.finishRevoke([1], 'lost');
    a.error();
    assert.deepEqual({ ...a.rebalanceCounts() }, { assign: 2, revoke: 1, lost: 1, error: 1 });
  });

  test('a message is processed once per ownership: copies below the next expected offset are skipped', () => {
    const a = new Assignment();
    a.assign([0]);
    assert.equal(a.accepts(0, 100), true, 'anything goes before the first message');
    a.processed(0, 100);
    a.processed(0, 101);
    assert.equal(a.accepts(0, 101), false, 'fetched again after a rebalance: already processed');
    assert.equal(a.accepts(0, 102), true);
    assert.equal(a.accepts(1, 5), false, 'not owned');
    a.beginRevoke([0]);
    assert.equal(a.accepts(0, 102), false, 'being revoked');
  });

  test('an eager rebalance pauses the member from the revocation to the next assignment', () => {
    const c = clock();
    const a = new Assignment(c.now);
    a.assign([0, 1]);
    assert.equal(a.lastRebalance()!.pausedMs, 0, 'joining is no pause');
    a.beginRevoke([0, 1]);
    c.advance(700);
    a.finishRevoke([0, 1], 'revoke');
    a.assign([0]);
    assert.equal(a.lastRebalance()!.pausedMs, 700);
  });

  test('an incremental rebalance that keeps some partitions pauses nothing', () => {
    const c = clock();
    const a = new Assignment(c.now);
    a.assign([0, 1]);
    a.beginRevoke([1]);
    c.advance(300);
    a.finishRevoke([1], 'revoke');
    a.assign([]);
    assert.equal(a.lastRebalance()!.pausedMs, 0);
  });
});
