import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumeLoop, type BatchSource } from '../../src/consumer/consume-loop';

/**
 * A stand-in for node-rdkafka's consume(n, timeout) with its semantics: it returns once it holds
 * `max` messages, or when `waitMs` passes without a new message (0: at once, with what is there).
 * Messages are pushed by the test, as librdkafka's fetcher would.
 */
class FakeFetcher implements BatchSource<number> {
  readonly queue: number[] = [];
  readonly log: string[] = [];
  readonly takes: { max: number; waitMs: number }[] = [];
  private arrived: (() => void) | null = null;
  failNext: Error | null = null;

  push(...messages: number[]): void {
    this.queue.push(...messages);
    this.arrived?.();
  }

  async take(max: number, waitMs: number): Promise<number[]> {
    this.takes.push({ max, waitMs });
    this.log.push(`take ${max}/${waitMs}`);
    // Like node-rdkafka's worker: the answer comes on a later turn of the event loop.
    await new Promise((r) => setImmediate(r));
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    const got: number[] = [];
    for (;;) {
      while (got.length < max && this.queue.length > 0) got.push(this.queue.shift()!);
      if (got.length === max || waitMs === 0) return got;
      const arrived = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), waitMs);
        this.arrived = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      this.arrived = null;
      if (!arrived) return got;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function loopOver(source: FakeFetcher, opts: { prefetch?: boolean; batchSize?: number; idleWaitMs?: number; stopAfter?: number } = {}) {
  const processed: number[] = [];
  const batches: number[][] = [];
  let stopped = false;
  const loop = new ConsumeLoop<number>(
    source,
    { idleWaitMs: opts.idleWaitMs ?? 200, batchSize: () => opts.batchSize ?? 500, prefetch: opts.prefetch ?? true },
    {
      running: () => !stopped,
      process: async (batch) => {
        source.log.push(`process ${batch.length}`);
        batches.push(batch);
        processed.push(...batch);
        if (opts.stopAfter !== undefined && processed.length >= opts.stopAfter) stopped = true;
      },
      failed: async () => true,
    },
  );
  return { loop, processed, batches, stop: () => (stopped = true), done: loop.run() };
}

describe('the consume loop adapts to the rate it sees', () => {
  test('at full speed: full batches, one call each that does not wait, the next one asked for before this one is processed', async () => {
    const source = new FakeFetcher();
    source.push(...Array.from({ length: 2000 }, (_, i) => i));
    const { batches, done } = loopOver(source, { stopAfter: 2000 });
    await done;
    assert.deepEqual(
      batches.map((b) => b.length),
      [1, 500, 500, 500, 499],
      'one waited-for message, then what is already fetched in full batches',
    );
    assert.deepEqual(source.takes.slice(1, 5), Array(4).fill({ max: 500, waitMs: 0 }), 'messages flowing: no call waits');
    // Prefetch: when batch j is processed, the call for batch j + 1 has already been made.
    let takes = 0;
    let processes = 0;
    for (const line of source.log) {
      if (line.startsWith('take')) takes++;
      else if (++processes < batches.length) assert.equal(takes, processes + 1, `the next batch asked for before batch ${processes} is processed: ${source.log.join(', ')}`);
    }
  });

  test('at a slow rate: each message is handed over as it arrives, never held for a batch to fill', async () => {
    const source = new FakeFetcher();
    const seenAt = new Map<number, number>();
    const pushedAt = new Map<number, number>();
    let stopped = false;
    const loop = new ConsumeLoop<number>(
      source,
      // A 200 ms idle wait and a message every 60 ms: a call for 500 that waits would never see a
      // 200 ms silence, and would hold every message until 500 had come.
      { idleWaitMs: 200, batchSize: () => 500, prefetch: true },
      {
        running: () => !stopped,
        process: async (batch) => {
          for (const m of batch) seenAt.set(m, performance.now());
        },
        failed: async () => true,
      },
    );
    const done = loop.run();
    for (let m = 1; m <= 8; m++) {
      await sleep(60);
      pushedAt.set(m, performance.now());
      source.push(m);
    }
    await sleep(60);
    stopped = true;
    await done;
    const late = [...pushedAt].map(([m, t]) => ({ m, ms: (seenAt.get(m) ?? Infinity) - t })).filter((x) => x.ms > 40);
    assert.deepEqual(late, [], 'every message processed within 40 ms of its arrival');
    assert.ok(
      source.takes.every((t) => t.waitMs === 0 || t.max === 1),
      `a call that waits asks for one message only: ${JSON.stringify(source.takes.filter((t) => t.waitMs > 0 && t.max > 1))}`,
    );
  });

  test('when the stream stops, the loop waits instead of spinning, and a stop is noticed within one idle wait', async () => {
    const source = new FakeFetcher();
    source.push(1, 2, 3);
    const { processed, stop, done } = loopOver(source, { idleWaitMs: 100 });
    await sleep(350);
    assert.deepEqual(processed, [1, 2, 3]);
    assert.ok(source.takes.length <= 8, `${source.takes.length} calls in 350 ms while idle (a call that waits 100 ms each)`);
    const t0 = performance.now();
    stop();
    await done;
    assert.ok(performance.now() - t0 < 150, `stopped after ${(performance.now() - t0).toFixed(0)} ms`);
  });

  test('with awaited processing, nothing is asked for until the batch is processed', async () => {
    const source = new FakeFetcher();
    source.push(...Array.from({ length: 30 }, (_, i) => i));
    const { done } = loopOver(source, { prefetch: false, batchSize: 10, stopAfter: 30 });
    await done;
    const order = source.log;
    for (let i = 1; i < order.length; i++) {
      if (order[i].startsWith('take') && i > 1) assert.ok(order[i - 1].startsWith('process'), `a take only after a process: ${order.join(', ')}`);
    }
  });

  test('a failed call: the handler decides, and the loop starts over with a call that waits', async () => {
    for (const carryOn of [true, false]) {
      const source = new FakeFetcher();
      source.push(1, 2);
      const errors: unknown[] = [];
      const processed: number[] = [];
      const loop = new ConsumeLoop<number>(
        source,
        { idleWaitMs: 50, batchSize: () => 500, prefetch: true },
        {
          running: () => processed.length < 3,
          process: async (b) => {
            processed.push(...b);
            // The call already under way for the next batch fails.
            if (processed.length === 2) source.failNext = new Error('broker gone');
          },
          failed: async (err) => {
            errors.push(err);
            source.push(3);
            return carryOn;
          },
        },
      );
      await loop.run();
      assert.equal(errors.length, 1);
      if (carryOn) {
        assert.deepEqual(processed, [1, 2, 3]);
        const failedAt = source.takes.length - 2;
        assert.deepEqual(source.takes[failedAt], { max: 1, waitMs: 50 }, `after the failure: ${JSON.stringify(source.takes)}`);
      } else {
        assert.deepEqual(processed, [1, 2], 'false ends the loop');
      }
    }
  });
});
