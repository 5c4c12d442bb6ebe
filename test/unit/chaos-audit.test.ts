import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { audit, seededRandom, shuffled, uncommittedWindows, type ProcessedRecord } from '../chaos/audit';

/** Offsets [from, to) of one partition processed at time `at`. */
const run = (partition: number, from: number, to: number, at = 0): ProcessedRecord[] => Array.from({ length: to - from }, (_, i) => ({ partition, offset: from + i, at }));

describe("the chaos test's audit", () => {
  test('every offset processed once: nothing missing, no duplicates', () => {
    const r = audit([...run(0, 0, 5), ...run(1, 0, 3)], new Map([[0, 5], [1, 3]]), []);
    assert.deepEqual(r, { messages: 8, duplicates: 0, allowed: 0, missing: [], unexplained: [], duplicatesByStep: new Map() });
  });

  test('an offset nobody processed is missing, also on a partition nobody processed at all', () => {
    const r = audit([...run(0, 0, 2), ...run(0, 3, 5)], new Map([[0, 5], [1, 2]]), []);
    assert.deepEqual(r.missing, ['0:2', '1:0', '1:1']);
  });

  test('offsets at or past the end offsets are not judged', () => {
    const r = audit([...run(0, 0, 6), ...run(0, 5, 6)], new Map([[0, 5]]), []);
    assert.equal(r.duplicates, 0);
    assert.deepEqual(r.unexplained, []);
  });

  test('a duplicate inside the window of an earlier fault is allowed; outside it, or more often than faults cover it, it is not', () => {
    const records = [...run(0, 0, 10, 100), ...run(0, 4, 8, 300), { partition: 0, offset: 2, at: 300 }, { partition: 0, offset: 5, at: 400 }];
    const r = audit(records, new Map([[0, 10]]), [{ step: 1, at: 200, partition: 0, from: 4, to: 8 }]);
    assert.equal(r.duplicates, 6);
    assert.equal(r.allowed, 4);
    assert.deepEqual(r.unexplained.sort(), ['0:2 x2', '0:5 x3']);
    assert.deepEqual(r.duplicatesByStep, new Map([[1, 4]]), 'the window is credited once per offset it covers');
  });

  test('a fault does not excuse a duplicate processed before it struck', () => {
    const records = [...run(0, 0, 4, 100), ...run(0, 0, 4, 150)];
    const r = audit(records, new Map([[0, 4]]), [{ step: 2, at: 200, partition: 0, from: 0, to: 4 }]);
    assert.deepEqual(r.unexplained, ['0:0 x2', '0:1 x2', '0:2 x2', '0:3 x2']);
  });

  test('a window covers only its own partition', () => {
    const r = audit([...run(1, 0, 3), ...run(1, 0, 3, 10)], new Map([[1, 3]]), [{ step: 1, at: 5, partition: 0, from: 0, to: 3 }]);
    assert.equal(r.unexplained.length, 3);
  });

  test('an offset processed three times needs two faults, each before its repeat', () => {
    const records = [...run(0, 0, 6, 0), ...run(0, 2, 6, 20), ...run(0, 4, 6, 40)];
    const windows = [{ step: 1, at: 10, partition: 0, from: 2, to: 6 }, { step: 2, at: 30, partition: 0, from: 4, to: 6 }];
    const r = audit(records, new Map([[0, 6]]), windows);
    assert.deepEqual(r.unexplained, []);
    assert.deepEqual(r.duplicatesByStep, new Map([[1, 4], [2, 2]]));
    const late = audit(records, new Map([[0, 6]]), [windows[0], { ...windows[1], at: 50 }]);
    assert.deepEqual(late.unexplained.sort(), ['0:4 x3', '0:5 x3'], 'the second fault came after the third processing');
  });

  test('a fault leaves a window from the committed offset to past the last offset processed before it', () => {
    const windows = uncommittedWindows(3, 1000, new Map([[0, 4], [1, 7], [2, -1]]), [...run(0, 0, 9), ...run(1, 0, 7), ...run(2, 0, 2)]);
    assert.deepEqual(windows, [
      { step: 3, at: 1000, partition: 0, from: 4, to: 9 },
      // partition 1: all committed, nothing to redo; partition 2: no commit yet, so from the start
      { step: 3, at: 1000, partition: 2, from: 0, to: 2 },
    ]);
  });

  test('the same seed gives the same order; another seed another one', () => {
    const kinds = ['kill', 'term', 'pause', 'broker', 'kill', 'term', 'pause', 'broker'];
    assert.deepEqual(shuffled(kinds, seededRandom(42)), shuffled(kinds, seededRandom(42)));
    assert.notDeepEqual(shuffled(kinds, seededRandom(42)), shuffled(kinds, seededRandom(43)));
    assert.deepEqual(shuffled(kinds, seededRandom(7)).sort(), [...kinds].sort(), 'a permutation');
  });
});
