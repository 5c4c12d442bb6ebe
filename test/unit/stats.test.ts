import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStats } from '../../src/consumer/stats';

// Shaped like librdkafka's statistics JSON (STATISTICS.md), trimmed to the fields we read.
const sample = {
  brokers: {
    'localhost:9092/bootstrap': { state: 'UP', nodeid: -1 },
    'localhost:9092/1': { state: 'UP', nodeid: 1 },
  },
  cgrp: { state: 'up', join_state: 'steady' },
  topics: {
    orders: {
      partitions: {
        '-1': { partition: -1, fetch_state: 'none', committed_offset: -1001, app_offset: -1001, hi_offset: -1, consumer_lag: -1 },
        '0': { partition: 0, fetch_state: 'active', committed_offset: 90, app_offset: 95, hi_offset: 100, consumer_lag: 10 },
        '1': { partition: 1, fetch_state: 'active', committed_offset: -1001, app_offset: -1001, hi_offset: 50, consumer_lag: -1 },
        '2': { partition: 2, fetch_state: 'stopped', committed_offset: 10, app_offset: 10, hi_offset: 20, consumer_lag: 10 },
      },
    },
    other: { partitions: { '0': { partition: 0, fetch_state: 'active', committed_offset: 1, app_offset: 1, hi_offset: 1, consumer_lag: 0 } } },
  },
};

describe('librdkafka statistics', () => {
  const s = parseStats(JSON.stringify(sample), 'orders');

  test('brokers the client can still connect to are counted, up or down; internal and logical entries are not', () => {
    const outage = {
      brokers: {
        ':0/internal': { state: 'UP', nodeid: -1, source: 'internal' },
        GroupCoordinator: { state: 'DOWN', nodeid: 1, source: 'logical' },
        'localhost:9092/bootstrap': { state: 'CONNECT', nodeid: -1, source: 'configured' },
        'localhost:9092/1': { state: 'DOWN', nodeid: 1, source: 'learned' },
      },
    };
    assert.equal(parseStats(JSON.stringify(outage), 'orders').brokerHandles, 2);
    // librdkafka 2.12.0 after a Metadata response that listed no broker (issue #5301): it dropped
    // every broker it knew, the bootstrap ones included, and has nothing left to reconnect to.
    const stranded = { brokers: { ':0/internal': outage.brokers[':0/internal'], GroupCoordinator: outage.brokers.GroupCoordinator } };
    assert.equal(parseStats(JSON.stringify(stranded), 'orders').brokerHandles, 0);
  });

  test('only actively fetched partitions of our topic are reported; the internal partition -1 never is', () => {
    assert.deepEqual(s.partitions.map((p) => p.partition), [0, 1]);
  });

  test('offsets and lag are taken as reported', () => {
    assert.deepEqual(s.partitions[0], { partition: 0, committed: 90, position: 95, highWatermark: 100, lag: 10 });
  });

  test('-1 and -1001 are "unknown", never a number', () => {
    assert.deepEqual(s.partitions[1], { partition: 1, committed: null, position: null, highWatermark: 50, lag: null });
  });

  test('group state and broker reachability are read', () => {
    assert.equal(s.groupState, 'up');
    assert.equal(s.joinState, 'steady');
    assert.equal(s.brokersUp, true);
    const down = parseStats(JSON.stringify({ ...sample, brokers: { 'localhost:9092/bootstrap': { state: 'UP', nodeid: -1 }, 'x/1': { state: 'DOWN', nodeid: 1 } } }), 'orders');
    assert.equal(down.brokersUp, false, 'a bootstrap entry alone is no real connection');
  });
});
