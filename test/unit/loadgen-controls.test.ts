import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { loadLoadgenConfig } from '../../src/loadgen/config';
import { loadgenHttpApp, type LoadgenControl } from '../../src/loadgen/http';
import { ConfigError } from '../../src/shared/env';

function problems(env: Record<string, string>): string[] {
  try {
    loadLoadgenConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** The controls' HTTP app over an in-memory state (the Kafka side is covered by test/integration/loadgen). */
async function controls(state: { rate: number; partitions: number; maxRate: number }) {
  const control: LoadgenControl = {
    ready: () => true,
    rate: () => state.rate,
    setRate: (r) => (state.rate = r),
    maxRate: () => state.maxRate,
    partitions: () => state.partitions,
    addPartitions: async (n) => {
      state.partitions = n;
    },
    produced: () => 0,
  };
  const server = loadgenHttpApp(control, new Registry()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const put = async (path: string, body: string) => {
    const res = await fetch(base + path, { method: 'PUT', body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { put, close: () => new Promise((r) => server.close(r)) };
}

describe('the load generator keeps a shared room safe', () => {
  test('the rate has an upper bound, 5000 messages/s unless MAX_RATE says otherwise', () => {
    assert.equal(loadLoadgenConfig({}).maxRate, 5000);
    assert.equal(loadLoadgenConfig({ MAX_RATE: '20000', RATE: '15000' }).maxRate, 20_000);
  });

  test('a starting RATE above MAX_RATE stops the program, naming both', () => {
    const p = problems({ RATE: '6000' });
    assert.equal(p.length, 1);
    assert.match(p[0], /RATE=6000 is not accepted: expected at most MAX_RATE=5000/);
  });

  test('MAX_RATE itself is validated like every other variable', () => {
    assert.match(problems({ MAX_RATE: 'lots' })[0], /MAX_RATE="lots" is not accepted: expected an integer from 1 to 1000000/);
    assert.match(problems({ MAX_RATE: '0' })[0], /MAX_RATE="0"/);
  });

  test('PUT /rate above the bound is refused with 400 and a message naming the bound; at the bound it is accepted', async () => {
    const state = { rate: 20, partitions: 12, maxRate: 1000 };
    const c = await controls(state);
    try {
      const refused = await c.put('/rate', '1001');
      assert.equal(refused.status, 400);
      assert.match(String(refused.body.error), /at most 1000 messages per second \(MAX_RATE/);
      assert.equal(state.rate, 20, 'the rate did not change');
      assert.deepEqual(await c.put('/rate', '1000'), { status: 200, body: { rate: 1000 } });
    } finally {
      await c.close();
    }
  });

  test('PUT /partitions with a smaller or equal count is refused with 409, saying partitions can only be added', async () => {
    const state = { rate: 20, partitions: 12, maxRate: 1000 };
    const c = await controls(state);
    try {
      for (const n of ['6', '12']) {
        const refused = await c.put('/partitions', n);
        assert.equal(refused.status, 409, `PUT /partitions ${n}`);
        assert.match(String(refused.body.error), /partitions can only be added: the topic has 12, asked for /);
      }
      assert.equal((await c.put('/partitions', 'many')).status, 400, 'a body that is no number is a bad request');
      assert.equal(state.partitions, 12);
      assert.deepEqual(await c.put('/partitions', '16'), { status: 200, body: { partitions: 16 } });
    } finally {
      await c.close();
    }
  });
});
