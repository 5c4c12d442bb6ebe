import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CTL_USAGE, runCtl } from '../../src/ctl/main';
import { partitionRanges, statusLines, table, type GroupsDocument } from '../../src/ctl/status-table';

const doc: GroupsDocument = {
  topic: 'lab-events',
  stale: false,
  lastError: null,
  observedAt: '2026-12-04T16:20:00.000Z',
  groups: [
    {
      group: 'lab-group',
      state: 'Stable',
      protocol: 'classic',
      assignor: 'cooperative-sticky',
      totalLag: 42,
      members: [
        { member: 'lab-consumer-2', clientId: 'lab-consumer-2', clientHost: '/172.18.0.6', partitions: [3, 4, 5] },
        { member: 'alice', clientId: 'alice', clientHost: '/192.168.1.31', partitions: [0, 1, 2] },
      ],
      partitions: [
        { partition: 0, owner: 'alice', lag: 10 },
        { partition: 1, owner: 'alice', lag: 20 },
        { partition: 2, owner: 'alice', lag: 0 },
        { partition: 3, owner: 'lab-consumer-2', lag: 4 },
        { partition: 4, owner: 'lab-consumer-2', lag: 4 },
        { partition: 5, owner: 'lab-consumer-2', lag: 4 },
        { partition: 6, owner: null, lag: null },
      ],
    },
  ],
};

describe('lab status: the group as a terminal table', () => {
  test('one row per member, sorted by name, with host, partition ranges and the lag of what it owns', () => {
    const lines = statusLines(doc, { rate: 20, partitions: 7 });
    assert.deepEqual(lines, [
      'topic lab-events: 7 partitions, load generator at 20 msg/s',
      '',
      'group lab-group: classic cooperative-sticky, Stable, 2 members, lag 42',
      '  MEMBER          HOST          PARTITIONS  LAG',
      '  alice           192.168.1.31  0-2         30',
      '  lab-consumer-2  172.18.0.6    3-5         12',
      '  (nobody)        -             6           -',
    ]);
  });

  test('a stale view says so, and a topic nobody reads says that', () => {
    const lines = statusLines({ ...doc, stale: true, lastError: 'Local: Timed out', groups: [] }, null);
    assert.match(lines[1], /cannot reach Kafka \(Local: Timed out\).*last view, from 2026-12-04T16:20:00/);
    assert.equal(lines[2], 'no consumer group reads lab-events yet');
    assert.equal(lines[0], 'topic lab-events');
  });

  test('a KIP-848 group names the broker assignor', () => {
    const g = { ...doc.groups[0], protocol: 'consumer', assignor: 'uniform' };
    assert.match(statusLines({ ...doc, groups: [g] }, null)[2], /group lab-group: KIP-848 \(uniform\)/);
  });

  test('ranges: runs of three or more collapse, shorter runs stay listed', () => {
    assert.equal(partitionRanges([0, 1, 2, 5, 7, 8, 11, 10, 9]), '0-2,5,7-11');
    assert.equal(partitionRanges([3, 4]), '3,4');
    assert.equal(partitionRanges([]), '-');
  });

  test('columns pad to the widest cell; the last is not padded', () => {
    assert.deepEqual(table([['A', 'BB'], ['CCC', 'D']]), ['A    BB', 'CCC  D']);
  });
});

describe('lab rate / partitions: words instead of curl', () => {
  const io = (answers: Record<string, [number, unknown]>) => {
    const out: string[] = [];
    const calls: string[] = [];
    return {
      out,
      calls,
      line: (t: string) => out.push(t),
      fetch: (async (url: string, init?: RequestInit) => {
        calls.push(`${init?.method ?? 'GET'} ${url} ${String(init?.body ?? '')}`.trim());
        const [status, body] = answers[`${init?.method ?? 'GET'} ${url}`] ?? [404, { error: 'no route' }];
        return new Response(JSON.stringify(body), { status });
      }) as typeof fetch,
    };
  };

  test('lab rate 500 sends PUT /rate with 500 to the load generator', async () => {
    const i = io({ 'PUT http://127.0.0.1:8080/rate': [200, { rate: 500 }] });
    assert.equal(await runCtl('rate', ['500'], {}, i), 0);
    assert.deepEqual(i.calls, ['PUT http://127.0.0.1:8080/rate 500']);
    assert.deepEqual(i.out, ['rate: 500 messages/s']);
  });

  test('a refused value prints the load generator reason and exits 1', async () => {
    const i = io({ 'PUT http://127.0.0.1:8080/partitions': [409, { error: 'partitions can only be added' }] });
    assert.equal(await runCtl('partitions', ['1'], {}, i), 1);
    assert.deepEqual(i.out, ['refused (409): partitions can only be added']);
  });

  test('LAB_LOADGEN_URL points the controls elsewhere', async () => {
    const i = io({ 'GET http://localhost:8080/partitions': [200, { partitions: 12 }] });
    assert.equal(await runCtl('partitions', [], { LAB_LOADGEN_URL: 'http://localhost:8080/' }, i), 0);
    assert.deepEqual(i.out, ['partitions: 12']);
  });

  test('extra words print the usage and exit 2', async () => {
    const i = io({});
    assert.equal(await runCtl('rate', ['500', 'now'], {}, i), 2);
    assert.deepEqual(i.out, [CTL_USAGE]);
  });
});
