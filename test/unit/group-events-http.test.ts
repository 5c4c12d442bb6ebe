import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { GroupEventLog } from '../../src/observer/group-events';
import { buildGroupView, type RawMember } from '../../src/observer/group-view';
import { observerHttpApp } from '../../src/observer/http';
import { ObserverMetrics } from '../../src/observer/metrics';
import { GroupViews } from '../../src/observer/poller';

const m = (memberId: string, clientId: string, assigned: number[]): RawMember => ({ memberId, clientId, clientHost: '/10.0.0.1', instanceId: null, assigned, target: null });
const view = (group: string, members: RawMember[]) =>
  buildGroupView({ group, state: 'Stable', protocol: 'classic', assignor: 'range', coordinator: '', members, committed: new Map() }, { partitions: [0, 1], end: new Map() });

describe('GET /groups/events', () => {
  test('serves the timeline with ISO times, newer than ?after= and of ?group=; a bad ?after= is a 400 naming it', async () => {
    const log = new GroupEventLog();
    log.observe([view('g1', [m('a', 'c1', [0, 1])]), view('g2', [])], Date.UTC(2026, 11, 4, 16, 0, 0));
    log.observe([view('g1', [m('a', 'c1', [0]), m('b', 'c2', [1])]), view('g2', [m('x', 'k1', [0, 1])])], Date.UTC(2026, 11, 4, 16, 0, 1));
    const app = observerHttpApp(
      { topic: 't', status: { up: true, lastSuccessAt: 0, lastError: null, failuresInARow: 0 }, groups: () => [], ready: () => true, events: (q) => log.list(q) },
      new Registry(),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const all = (await (await fetch(`${base}/groups/events`)).json()) as { events: { seq: number; type: string; group: string; at: string; since: string; member?: string }[] };
      assert.equal(all.events[0]!.at, '2026-12-04T16:00:01.000Z');
      assert.equal(all.events[0]!.since, '2026-12-04T16:00:00.000Z');
      assert.deepEqual(all.events.filter((e) => e.type === 'member-joined').map((e) => `${e.group} ${e.member}`), ['g1 c2', 'g2 k1']);
      const g2 = (await (await fetch(`${base}/groups/events?group=g2`)).json()) as { events: { group: string }[] };
      assert.ok(g2.events.length > 0 && g2.events.every((e) => e.group === 'g2'));
      const last = all.events.at(-1)!.seq;
      const newer = (await (await fetch(`${base}/groups/events?after=${last - 1}`)).json()) as { events: { seq: number }[] };
      assert.deepEqual(newer.events.map((e) => e.seq), [last]);
      const bad = await fetch(`${base}/groups/events?after=yesterday`);
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /after/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the timeline as Prometheus series', () => {
  test('lab_group_events_total counts each type per group; the last rebalance duration is kept per group', async () => {
    let now = 0;
    const views = new GroupViews({ staleAfterMs: 10_000, now: () => now });
    const metrics = new ObserverMetrics(views, 't');
    views.succeeded([view('g1', [m('a', 'c1', [0, 1])])]);
    now = 1000;
    views.succeeded([view('g1', [m('a', 'c1', [0]), m('b', 'c2', [1])])]);
    const text = await metrics.registry.metrics();
    assert.match(text, /lab_group_events_total\{group="g1",type="member-joined"\} 1\n/);
    assert.match(text, /lab_group_events_total\{group="g1",type="partition-moved"\} 1\n/);
    assert.match(text, /lab_group_last_rebalance_duration_seconds\{group="g1"\} 0\n/);
  });
});
