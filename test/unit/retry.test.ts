import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffMs, retryUntilDone } from '../../src/shared/retry';

describe('connect retries (consumer and load generator)', () => {
  test('the wait doubles from one second and stops growing at the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, 10_000)),
      [1_000, 2_000, 4_000, 8_000, 10_000, 10_000],
    );
  });

  test('failed attempts are reported with their number and wait, then retried until one succeeds', async () => {
    const reported: [number, number, string][] = [];
    const slept: number[] = [];
    let calls = 0;
    const result = await retryUntilDone(
      async () => {
        calls++;
        if (calls < 4) throw new Error(`refused ${calls}`);
        return 'connected';
      },
      {
        maxBackoffMs: 3_000,
        keepGoing: () => true,
        failed: (err, attempt, retryInMs) => reported.push([attempt, retryInMs, (err as Error).message]),
        sleep: async (ms) => void slept.push(ms),
      },
    );
    assert.deepEqual(result, { done: true, value: 'connected' });
    assert.deepEqual(reported, [
      [1, 1_000, 'refused 1'],
      [2, 2_000, 'refused 2'],
      [3, 3_000, 'refused 3'],
    ]);
    assert.deepEqual(slept, [1_000, 2_000, 3_000]);
  });

  test('a stop during the wait ends the retries without another attempt', async () => {
    let stopped = false;
    let calls = 0;
    const result = await retryUntilDone(
      async () => {
        calls++;
        throw new Error('refused');
      },
      {
        maxBackoffMs: 10_000,
        keepGoing: () => !stopped,
        failed: () => undefined,
        sleep: async () => {
          stopped = true;
        },
      },
    );
    assert.deepEqual(result, { done: false });
    assert.equal(calls, 1);
  });

  test('a stop before the first attempt makes none', async () => {
    let calls = 0;
    const result = await retryUntilDone(async () => void calls++, { maxBackoffMs: 10_000, keepGoing: () => false, failed: () => undefined });
    assert.deepEqual(result, { done: false });
    assert.equal(calls, 0);
  });
});
