import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGroupView, type GroupView, type RawMember } from '../../src/observer/group-view';
import { GroupEventLog, diffGroups } from '../../src/observer/group-events';

const m = (memberId: string, clientId: string, assigned: number[], instanceId: string | null = null): RawMember => ({
  memberId,
  clientId,
  clientHost: '/10.0.0.1',
  instanceId,
  assigned,
  target: null,
});

const view = (state: string, members: RawMember[], group = 'g'): GroupView =>
  buildGroupView({ group, state, protocol: 'classic', assignor: 'range', coordinator: '', members, committed: new Map() }, { partitions: [0, 1, 2, 3], end: new Map() });

/** Feeds the pictures one second apart; returns the events as compact strings. */
function timeline(...pictures: GroupView[][]): string[] {
  const log = new GroupEventLog();
  pictures.forEach((p, i) => log.observe(p, i * 1000));
  return log.list().map((e) => {
    const who = e.member ?? '';
    if (e.type === 'partition-moved') return `${e.at / 1000} moved ${e.partition} ${e.from ?? '-'}->${e.to ?? '-'}`;
    if (e.type === 'state-changed') return `${e.at / 1000} state ${e.from}->${e.to}`;
    if (e.type === 'rebalance-ended') return `${e.at / 1000} rebalance-ended ${e.durationMs}ms`;
    return `${e.at / 1000} ${e.type}${who ? ` ${who}` : ''}`;
  });
}

describe('the rebalance timeline from pictures of the coordinator', () => {
  test('the first picture reports nothing: members already there did not join now', () => {
    assert.deepEqual(timeline([view('Stable', [m('a', 'c1', [0, 1, 2, 3])])]), []);
  });

  test('a steady group makes no event, poll after poll', () => {
    const p = [view('Stable', [m('a', 'c1', [0, 1]), m('b', 'c2', [2, 3])])];
    assert.deepEqual(timeline(p, p, p, p), []);
  });

  test('a join seen through a classic rebalance: joined, the states, each move once from the owner before to the owner after', () => {
    const events = timeline(
      [view('Stable', [m('a', 'c1', [0, 1, 2, 3])])],
      [view('PreparingRebalance', [m('a', 'c1', []), m('b', 'c2', [])])],
      [view('CompletingRebalance', [m('a', 'c1', []), m('b', 'c2', [])])],
      [view('Stable', [m('a', 'c1', [0, 1]), m('b', 'c2', [2, 3])])],
    );
    assert.deepEqual(events, [
      '1 member-joined c2',
      '1 state Stable->PreparingRebalance',
      '1 rebalance-started',
      '2 state PreparingRebalance->CompletingRebalance',
      '3 state CompletingRebalance->Stable',
      '3 moved 2 c1->c2',
      '3 moved 3 c1->c2',
      '3 rebalance-ended 2000ms',
    ]);
  });

  test('a departure and a rebalance wholly between two polls: left, moves, a rebalance of 0 ms after the previous poll', () => {
    const events = timeline([view('Stable', [m('a', 'c1', [0, 1]), m('b', 'c2', [2, 3])])], [view('Stable', [m('a', 'c1', [0, 1, 2, 3])])]);
    assert.deepEqual(events, ['1 member-left c2', '1 rebalance-started', '1 moved 2 c2->c1', '1 moved 3 c2->c1', '1 rebalance-ended 0ms']);
  });

  test('a static member back under a new member id is a restart, not a departure and a join, and no rebalance', () => {
    const events = timeline(
      [view('Stable', [m('a', 'c1', [0, 1], 'i-1'), m('b', 'c2', [2, 3], 'i-2')])],
      [view('Stable', [m('a', 'c1', [0, 1], 'i-1'), m('b2', 'c2', [2, 3], 'i-2')])],
    );
    assert.deepEqual(events, ['1 member-restarted c2']);
    const log = new GroupEventLog();
    log.observe([view('Stable', [m('b', 'c2', [0], 'i-2')])], 0);
    const [restart] = log.observe([view('Stable', [m('b2', 'c2', [0], 'i-2')])], 1000);
    assert.equal(restart!.previousMemberId, 'b');
    assert.equal(restart!.memberId, 'b2');
  });

  test('KIP-848: partitions moving to their target keep the rebalance open until they arrive', () => {
    const moving = view('Stable', [m('a', 'c1', [0, 1, 2, 3]), { ...m('b', 'c2', []), target: [2, 3] }]);
    const a = { ...m('a', 'c1', [0, 1]), target: [0, 1] };
    const events = timeline(
      [view('Stable', [m('a', 'c1', [0, 1, 2, 3])])],
      [moving],
      [view('Stable', [a, { ...m('b', 'c2', [2]), target: [2, 3] }])],
      [view('Stable', [a, { ...m('b', 'c2', [2, 3]), target: [2, 3] }])],
    );
    assert.deepEqual(events, ['1 member-joined c2', '1 rebalance-started', '3 moved 2 c1->c2', '3 moved 3 c1->c2', '3 rebalance-ended 2000ms']);
  });

  test('the last member of a discovered group leaving takes the group out of the picture: it still left', () => {
    const events = timeline([view('Stable', [m('a', 'c1', [0, 1, 2, 3])])], []);
    assert.deepEqual(events, ['1 member-left c1', '1 group-vanished']);
  });

  test('two groups are told apart, and a reader asks for what is new and of one group', () => {
    const log = new GroupEventLog();
    log.observe([view('Stable', [m('a', 'c1', [0])], 'g1'), view('Stable', [m('x', 'k1', [0])], 'g2')], 0);
    log.observe([view('Stable', [m('a', 'c1', [0]), m('b', 'c2', [])], 'g1'), view('Stable', [], 'g2')], 1000);
    assert.deepEqual(log.list({ group: 'g2' }).map((e) => e.type), ['member-left', 'rebalance-started', 'partition-moved', 'rebalance-ended']);
    const all = log.list();
    assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1));
    assert.deepEqual(log.list({ after: all.length - 1 }).map((e) => e.seq), [all.length]);
  });

  test('the log is bounded and counts what it dropped', () => {
    const log = new GroupEventLog(5);
    let members = [m('a', 'c1', [])];
    log.observe([view('Stable', members)], 0);
    for (let i = 1; i <= 10; i++) {
      members = [...members, m(`n${i}`, `c${i + 1}`, [])];
      log.observe([view('Stable', members)], i * 1000);
    }
    assert.equal(log.list().length, 5);
    assert.equal(log.dropped + 5, log.list()[4]!.seq);
  });

  test('a diff is pure: the open rebalances passed in are not changed', () => {
    const open = new Map([['g', { startedAt: 0, owners: new Map<number, string | null>([[0, 'c1']]) }]]);
    const r = diffGroups([view('PreparingRebalance', [m('a', 'c1', [])])], [view('Stable', [m('a', 'c1', [0, 1, 2, 3])])], 1000, 0, open);
    assert.equal(open.size, 1);
    assert.equal(r.open.size, 0);
  });
});
