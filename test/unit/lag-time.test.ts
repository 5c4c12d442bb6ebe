import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EndOffsetHistory, lagSeconds } from '../../src/observer/lag-time';
import { GroupViews, timestampsWanted } from '../../src/observer/poller';
import { buildGroupView } from '../../src/observer/group-view';

/** 10 records a second on partition 0, one poll a second: offset o is written at o * 100 ms. */
function steady(history: EndOffsetHistory, untilMs: number, rate = 10): void {
  for (let t = 0; t <= untilMs; t += 1000) history.record(0, t, Math.floor((t * rate) / 1000));
}

describe('lag in seconds from log-end offsets over time', () => {
  test('caught up is 0, whatever the history', () => {
    const h = new EndOffsetHistory();
    steady(h, 10_000);
    assert.equal(lagSeconds(h, 0, 100, 100, 10_000), 0);
  });

  test('the age of the record at the committed offset, interpolated between polls', () => {
    const h = new EndOffsetHistory();
    steady(h, 10_000);
    // Offset 50 was written between the polls at 5 s (end 50) and 6 s (end 60): at 5.1 s.
    assert.ok(Math.abs(lagSeconds(h, 0, 50, 100, 10_000)! - 4.9) < 1e-9);
    assert.ok(Math.abs(lagSeconds(h, 0, 55, 100, 10_000)! - 4.4) < 1e-9);
  });

  test('a stopped consumer: the lag rises one second per second', () => {
    const h = new EndOffsetHistory();
    steady(h, 60_000);
    const at = (now: number) => lagSeconds(h, 0, 200, 600, now)!;
    for (let now = 30_000; now <= 60_000; now += 1000) assert.ok(Math.abs(at(now + 1000) - at(now) - 1) < 1e-9);
  });

  test('production stopped and the consumer too: the lag still rises, from when the record came', () => {
    const h = new EndOffsetHistory();
    steady(h, 10_000);
    for (let t = 11_000; t <= 100_000; t += 1000) h.record(0, t, 100);
    assert.ok(Math.abs(lagSeconds(h, 0, 95, 100, 100_000)! - (100 - 9.6)) < 1e-9);
  });

  test('a burst after a quiet stretch is dated after the last poll that saw the log unchanged', () => {
    const h = new EndOffsetHistory();
    for (let t = 0; t <= 20_000; t += 1000) h.record(0, t, 0);
    h.record(0, 21_000, 1000);
    // The stretch was compressed to its first and last sample; the burst lies within (20 s, 21 s].
    const written = h.writtenAt(0, 0)!;
    assert.ok(written > 20_000 && written <= 21_000, `written at ${written}`);
  });

  test('production resuming after a quiet stretch: dated from the rate that follows, not spread over the whole poll', () => {
    // A consumer is paused as production resumes: 60 records a second from 20.4 s, polls every
    // second. Record i of the stream is written at 20.4 s + i / 60 s.
    const h = new EndOffsetHistory();
    for (let t = 0; t <= 20_000; t += 1000) h.record(0, t, 500);
    const ends = (t: number) => 500 + Math.floor(((t - 20_400) * 60) / 1000) + 1;
    h.record(0, 21_000, ends(21_000));
    // One poll into the stream nothing says when it began: anywhere in (20 s, 21 s].
    const first = h.writtenAt(0, 500)!;
    assert.ok(first > 20_000 && first <= 21_000, `written at ${first}`);
    for (let t = 22_000; t <= 50_000; t += 1000) h.record(0, t, ends(t));
    // From the next poll on, the rate after dates it: the paused consumer's lag is off by one
    // record's spacing, not by the 0.4 s the even spread gave for the whole pause.
    assert.ok(Math.abs(h.writtenAt(0, 500)! - 20_400) < 20, `written at ${h.writtenAt(0, 500)}`);
    assert.ok(Math.abs(lagSeconds(h, 0, 500, ends(50_000), 50_000)! - 29.6) < 0.02);
    // Records further into the stream, past that first interval, are interpolated as before.
    assert.ok(Math.abs(h.writtenAt(0, 500 + 120)! - (20_400 + 2000)) < 20);
  });

  test('production stopping between two polls: the last records are dated at the rate before', () => {
    // 10 records a second until 30.3 s, then nothing: record o is written at o * 100 ms.
    const h = new EndOffsetHistory();
    steady(h, 30_000);
    for (let t = 31_000; t <= 40_000; t += 1000) h.record(0, t, 303);
    assert.ok(Math.abs(h.writtenAt(0, 302)! - 30_300) <= 100, `written at ${h.writtenAt(0, 302)}`);
    assert.ok(Math.abs(h.writtenAt(0, 300)! - 30_100) <= 100, `written at ${h.writtenAt(0, 300)}`);
  });

  test('whatever the neighbours, a record is dated within the poll interval that saw it arrive', () => {
    // A burst of 600 at 20.5 s, then 60 a second: the rate after would date the burst 10 s back.
    const h = new EndOffsetHistory();
    for (let t = 0; t <= 20_000; t += 1000) h.record(0, t, 0);
    h.record(0, 21_000, 630);
    h.record(0, 22_000, 690);
    for (const o of [0, 300, 629]) {
      const at = h.writtenAt(0, o)!;
      assert.ok(at > 20_000 && at <= 21_000, `offset ${o} written at ${at}`);
    }
  });

  test('the offsets the end offsets cannot date: bursts and first polls of a stream next to a quiet stretch, not steady traffic', () => {
    const h = new EndOffsetHistory();
    steady(h, 30_000);
    // Steady traffic: dated within a record's spacing, nothing to read.
    assert.deepEqual(h.undatedRanges(0).filter(([from]) => from > 0), []);
    // A quiet stretch, then a burst of 600 at 40.7 s: somewhere in (40 s, 41 s] by the end offsets.
    for (let t = 31_000; t <= 40_000; t += 1000) h.record(0, t, 300);
    h.record(0, 41_000, 900);
    assert.deepEqual(h.undatedRanges(0).at(-1), [300, 900]);
    // Read, a record is dated by its timestamp.
    h.recordTimestamp(0, 500, 40_700);
    assert.equal(h.hasTimestamp(0, 500), true);
    assert.equal(h.writtenAt(0, 500), 40_700);
    assert.ok(Math.abs(lagSeconds(h, 0, 500, 900, 45_000)! - 4.3) < 1e-9);
    // Steady traffic resumes at 20 a second from 41 s: the burst stays undated (the rate after does
    // not fit it), the new stream's intervals are dated by their neighbours.
    for (let t = 42_000; t <= 45_000; t += 1000) h.record(0, t, 900 + ((t - 41_000) / 1000) * 20);
    assert.deepEqual(h.undatedRanges(0).at(-1), [300, 900]);
    // A burst on top of that steady traffic, with no quiet stretch around it, is undated too.
    h.record(0, 46_000, 1580 + 20);
    h.record(0, 47_000, 1600 + 20);
    h.record(0, 48_000, 1620 + 20);
    assert.deepEqual(h.undatedRanges(0).slice(-2), [[300, 900], [980, 1600]]);
    // A rate that wavers (15 to 25 a second) is not.
    const wavering = new EndOffsetHistory();
    for (let t = 0, end = 0; t <= 20_000; t += 1000, end += t % 2000 === 0 ? 25 : 15) wavering.record(0, t, end);
    assert.deepEqual(wavering.undatedRanges(0), []);
  });

  test("a record's timestamp from a producer whose clock is off is held to the polls that saw it arrive", () => {
    const h = new EndOffsetHistory();
    for (let t = 0; t <= 10_000; t += 1000) h.record(0, t, 0);
    h.record(0, 11_000, 50);
    h.recordTimestamp(0, 10, 10_000 + 3_600_000); // an hour ahead
    h.recordTimestamp(0, 20, 5_000); // 5 s behind
    assert.equal(h.writtenAt(0, 10), 11_000);
    assert.equal(h.writtenAt(0, 20), 10_000);
  });

  test('before the oldest sample the mean rate is extrapolated; with no rate the oldest sample bounds the age', () => {
    const h = new EndOffsetHistory();
    for (let t = 10_000; t <= 20_000; t += 1000) h.record(0, t, t / 100);
    // 10 records a second; offset 49 was written at 5 s.
    assert.ok(Math.abs(h.writtenAt(0, 49)! - 5000) < 1e-6);
    const flat = new EndOffsetHistory();
    flat.record(0, 7000, 100);
    assert.equal(flat.writtenAt(0, 3), 7000);
  });

  test('a recreated topic (the end goes back) starts the history again', () => {
    const h = new EndOffsetHistory();
    steady(h, 10_000);
    h.record(0, 11_000, 5);
    assert.equal(h.writtenAt(0, 2), 11_000);
  });

  test('the history is bounded per partition', () => {
    const h = new EndOffsetHistory(10);
    steady(h, 100_000);
    // The oldest ten samples are gone: offset 0 is extrapolated from the last ten, not remembered.
    assert.ok(Math.abs(h.writtenAt(0, 0)! - 100) < 1e-6);
    assert.equal(lagSeconds(h, 0, 0, 1000, 100_000)! > 99, true);
  });

  test('a poll reads the committed offsets the ends cannot date, and the observer dates that poll by them', () => {
    let now = 0;
    const views = new GroupViews({ staleAfterMs: 10_000, now: () => now });
    const history = new EndOffsetHistory(); // the Kafka client process's copy
    const raw = (committed: Map<number, number>) => ({ group: 'g', state: 'Stable', protocol: 'classic' as const, assignor: 'range', coordinator: '', members: [], committed });
    const poll = (end: Map<number, number>, committed: Map<number, number>, stamps: (p: number, o: number) => number) => {
      const polled = [buildGroupView(raw(committed), { partitions: [0, 1], end })];
      for (const [p, e] of end) history.record(p, now, e);
      const wanted = timestampsWanted(polled, history, () => false);
      views.succeeded(polled, [], { at: now, end }, wanted.map((w) => ({ ...w, timestamp: stamps(w.partition, w.offset) })));
      return wanted;
    };
    // Partition 0 quiet, then a burst of 100 at 10.9 s; partition 1 steady at 10/s, a little behind.
    for (now = 0; now <= 10_000; now += 1000) assert.deepEqual(poll(new Map([[0, 0], [1, now / 100]]), new Map([[0, 0], [1, now / 100 - 3]]), () => NaN), []);
    now = 11_000;
    const wanted = poll(new Map([[0, 100], [1, 110]]), new Map([[0, 40], [1, 105]]), () => 10_900);
    assert.deepEqual(wanted, [{ partition: 0, offset: 40 }]);
    assert.ok(Math.abs(views.groups()[0]!.partitions[0]!.lagSeconds! - 0.1) < 1e-9, `${views.groups()[0]!.partitions[0]!.lagSeconds}`);
    // Without the timestamp the same poll reads about 0.6 s (offset 40 of 100 spread over the second).
    const unread = new EndOffsetHistory();
    for (let t = 0; t <= 10_000; t += 1000) unread.record(0, t, 0);
    unread.record(0, 11_000, 100);
    assert.ok(lagSeconds(unread, 0, 40, 100, 11_000)! > 0.5);
  });

  test('the observer fills each partition and the group with lag in seconds from the ends of every poll', () => {
    let now = 0;
    const views = new GroupViews({ staleAfterMs: 10_000, now: () => now });
    const raw = (committed: Map<number, number>) => ({ group: 'g', state: 'Stable', protocol: 'classic' as const, assignor: 'range', coordinator: '', members: [], committed });
    for (now = 0; now <= 20_000; now += 1000) {
      const end = new Map([[0, now / 100], [1, now / 100]]);
      const topic = { partitions: [0, 1], end };
      // Partition 0's consumer stopped at offset 50 (written at 5 s); partition 1's keeps up.
      const committed = Math.min(now / 100, 50);
      views.succeeded([buildGroupView(raw(new Map([[0, committed], [1, now / 100]])), topic)], [], { at: now, end });
    }
    const g = views.groups()[0]!;
    assert.ok(Math.abs(g.partitions[0]!.lagSeconds! - 15) < 0.2, `partition 0: ${g.partitions[0]!.lagSeconds}`);
    assert.equal(g.partitions[1]!.lagSeconds, 0);
    assert.equal(g.maxLagSeconds, g.partitions[0]!.lagSeconds);
  });
});
