import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { partitionPauses, percentile, summarize, type ProcessedAt } from '../../bench/rebalance/pause';
import { brokerFigures, parseJmxCsv } from '../../bench/rebalance/broker-figures';

/** Audit lines of one consumer on one partition, one every `every` ms over [from, to]. */
const lines = (consumer: string, partition: number, from: number, to: number, every = 20): ProcessedAt[] => {
  const out: ProcessedAt[] = [];
  for (let t = from; t <= to; t += every) out.push({ consumer, partition, t });
  return out;
};

const window = (over: Partial<Parameters<typeof partitionPauses>[1]> = {}) => ({
  partitions: 1,
  eventAt: 10_000,
  endAt: 14_000,
  ownersBefore: new Map([[0, 'a']]),
  ownersAfter: new Map([[0, 'b']]),
  floorMs: 100,
  ...over,
});

describe('the pause each partition felt around a rebalance', () => {
  test('a moved partition: from the old owner\'s last processed message to the new owner\'s first, to the millisecond', () => {
    const r = partitionPauses([...lines('a', 0, 8000, 10_100), ...lines('b', 0, 10_437, 14_000)], window());
    assert.deepEqual(r.handovers, [{ partition: 0, from: 'a', to: 'b', lastAt: 10_100, firstAt: 10_437, pauseMs: 337 }]);
    assert.deepEqual(r.orphans, []);
    assert.deepEqual(r.kept, []);
  });

  test('the old owner\'s last message may be long before the event (it was behind, busy elsewhere): still the start of the pause', () => {
    const r = partitionPauses([...lines('a', 0, 1000, 2000), ...lines('b', 0, 10_500, 14_000)], window());
    assert.equal(r.handovers[0].pauseMs, 8500);
  });

  test('a partition that moved twice reports both handovers, each with its own pause', () => {
    const r = partitionPauses([...lines('a', 0, 8000, 10_000), ...lines('b', 0, 10_200, 11_000), ...lines('c', 0, 11_650, 14_000)], window({ ownersAfter: new Map([[0, 'c']]) }));
    assert.deepEqual(r.handovers.map((h) => [h.from, h.to, h.pauseMs]), [['a', 'b', 200], ['b', 'c', 650]]);
    assert.deepEqual(r.orphans, []);
  });

  test('moving away and back to the same owner is two handovers, not a kept partition', () => {
    const r = partitionPauses([...lines('a', 0, 8000, 10_000), ...lines('b', 0, 10_300, 11_000), ...lines('a', 0, 11_100, 14_000)], window({ ownersAfter: new Map([[0, 'a']]) }));
    assert.equal(r.handovers.length, 2);
    assert.deepEqual(r.kept, []);
  });

  test('a handover that finished before the event belongs to an earlier event: the partition counts as kept', () => {
    const r = partitionPauses([...lines('a', 0, 7000, 8000), ...lines('b', 0, 8200, 14_000)], window({ ownersBefore: new Map([[0, 'b']]), ownersAfter: new Map([[0, 'b']]) }));
    assert.deepEqual(r.handovers, []);
    assert.deepEqual(r.kept, [{ partition: 0, owner: 'b', longestSilenceMs: 20, stopped: false }]);
  });

  test('a moved partition whose new owner never processed it is reported as not resumed, not dropped', () => {
    const r = partitionPauses(lines('a', 0, 8000, 10_060), window());
    assert.deepEqual(r.handovers, []);
    assert.deepEqual(r.orphans, [{ partition: 0, from: 'a', lastAt: 10_060, owner: 'b', silentForMs: 3940 }]);
    const s = summarize(r);
    assert.equal(s.orphans, 1);
    assert.equal(s.handoverP50Ms, null);
  });

  test('a partition nobody owns afterwards, or nobody processed at all, is reported too', () => {
    const gone = partitionPauses(lines('a', 0, 8000, 10_000), window({ ownersAfter: new Map() }));
    assert.deepEqual(gone.orphans, [{ partition: 0, from: 'a', lastAt: 10_000, owner: null, silentForMs: 4000 }]);
    const silent = partitionPauses([], window());
    assert.deepEqual(silent.orphans, [{ partition: 0, from: null, lastAt: null, owner: 'b', silentForMs: 4000 }]);
  });

  test('a moved partition its old owner never processed is reported with a lower bound, not dropped', () => {
    const r = partitionPauses(lines('b', 0, 10_700, 14_000), window());
    assert.deepEqual(r.handovers, []);
    assert.deepEqual(r.unanchored, [{ partition: 0, from: 'a', to: 'b', firstAt: 10_700, pauseAtLeastMs: 700 }]);
    assert.equal(summarize(r).unanchored, 1);
  });

  test('a kept partition that never stopped: its longest silence is the message spacing, under the floor', () => {
    const r = partitionPauses(lines('a', 0, 7000, 14_000), window({ ownersAfter: new Map([[0, 'a']]) }));
    assert.deepEqual(r.kept, [{ partition: 0, owner: 'a', longestSilenceMs: 20, stopped: false }]);
  });

  test('a kept partition that stopped during the rebalance: the silence and that it exceeds the floor', () => {
    const r = partitionPauses([...lines('a', 0, 7000, 10_040), ...lines('a', 0, 10_566, 14_000)], window({ ownersAfter: new Map([[0, 'a']]) }));
    assert.deepEqual(r.kept, [{ partition: 0, owner: 'a', longestSilenceMs: 526, stopped: true }]);
  });

  test('a silence that ended before the event is not this event\'s; one still open at the end is', () => {
    const earlier = partitionPauses([...lines('a', 0, 7000, 8000), ...lines('a', 0, 9000, 14_000)], window({ ownersAfter: new Map([[0, 'a']]) }));
    assert.equal(earlier.kept[0].longestSilenceMs, 20);
    const open = partitionPauses(lines('a', 0, 7000, 12_000), window({ ownersAfter: new Map([[0, 'a']]) }));
    assert.equal(open.kept[0].longestSilenceMs, 2000);
    assert.equal(open.kept[0].stopped, true);
  });

  test('several partitions: moved and kept are told apart and summarized', () => {
    const recs = [
      ...lines('a', 0, 7000, 10_000), ...lines('b', 0, 10_100, 14_000),
      ...lines('a', 1, 7000, 10_000), ...lines('c', 1, 10_900, 14_000),
      ...lines('b', 2, 7000, 14_000),
      ...lines('c', 3, 7000, 10_000), ...lines('c', 3, 10_300, 14_000),
    ];
    const w = window({ partitions: 4, ownersBefore: new Map([[0, 'a'], [1, 'a'], [2, 'b'], [3, 'c']]), ownersAfter: new Map([[0, 'b'], [1, 'c'], [2, 'b'], [3, 'c']]) });
    const s = summarize(partitionPauses(recs, w));
    assert.deepEqual(s, { handovers: 2, handoverP50Ms: 100, handoverP99Ms: 900, orphans: 0, unanchored: 0, kept: 2, keptStopped: 1, keptSilenceP50Ms: 20, keptSilenceP99Ms: 300 });
  });
});

describe('percentiles (nearest rank)', () => {
  test('p50 and p99 are values that occurred; p99 of fewer than 100 values is the maximum', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 200..1, unsorted on purpose
    assert.equal(percentile(values, 0.5), 100);
    assert.equal(percentile(values, 0.99), 198);
    assert.equal(percentile([5, 1, 9], 0.5), 5);
    assert.equal(percentile([5, 1, 9], 0.99), 9);
    assert.equal(percentile([7], 0.5), 7);
    assert.equal(percentile([], 0.5), null);
  });
});

describe("the broker's figures from JmxTool samples", () => {
  const header = '"time","kafka.coordinator.group:type=GroupMetadataManager,name=NumGroupsCompletingRebalance:Value","kafka.coordinator.group:type=GroupMetadataManager,name=NumGroupsPreparingRebalance:Value","kafka.server:type=group-coordinator-metrics,state=Assigning:consumer-group-count","kafka.server:type=group-coordinator-metrics,state=Reconciling:consumer-group-count","kafka.server:type=group-coordinator-metrics:consumer-group-rebalance-count","kafka.server:type=group-coordinator-metrics:group-completed-rebalance-count"';
  const csv = [
    'Trying to connect to JMX url: service:jmx:rmi:///jndi/rmi://127.0.0.1:1/jmxrmi',
    header,
    '1000,0,0,0,0,4.0,2.0',
    '1250,0,1,0,0,4.0,2.0',
    '1500,1,0,0,0,4.0,2.0',
    '1750,0,0,0,1,5.0,3.0',
    '2000,0,0,0,0,6.0,3.0',
  ].join('\n');

  test('counter increases over the window, from the last sample before it; time in a rebalancing state at the sampling step', () => {
    const f = brokerFigures(parseJmxCsv(csv), 1100, 2000);
    assert.deepEqual(f, { classicRebalances: 1, consumerGroupRebalances: 2, classicRebalancingMs: 500, consumerReconcilingMs: 250, samples: 4 });
  });

  test('no samples in the window: no figures rather than zeros', () => {
    assert.equal(brokerFigures(parseJmxCsv(csv), 5000, 6000), null);
    assert.deepEqual(parseJmxCsv('Trying to connect'), []);
  });
});
