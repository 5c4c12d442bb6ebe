import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { replicasOf } from '../../src/observer/partition-replicas';
import { buildGroupView, coordinatorIdOf } from '../../src/observer/group-view';
import { GroupViews } from '../../src/observer/poller';
import { ObserverMetrics } from '../../src/observer/metrics';

const node = (id: number) => ({ id, host: `kafka-${id}`, port: 9092 });

const described = [
  // Partition 1 listed first: the output is in partition order whatever the broker's order.
  { partition: 1, leader: node(3), replicas: [node(2), node(3), node(1)], isr: [node(3), node(1)] },
  { partition: 0, leader: node(1), replicas: [node(1), node(2), node(3)], isr: [node(1), node(2), node(3)] },
  { partition: 2, leader: null, replicas: [node(3), node(1), node(2)], isr: [] },
];

function lines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

describe("each partition's leader, replicas and in-sync replicas", () => {
  test('describeTopics output becomes broker ids per partition, in partition order', () => {
    assert.deepEqual(replicasOf(described), [
      { partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] },
      { partition: 1, leader: 3, replicas: [2, 3, 1], isr: [3, 1] },
      { partition: 2, leader: null, replicas: [3, 1, 2], isr: [] },
    ]);
  });

  test("the coordinator's broker id is read from the observer's coordinator text", () => {
    assert.equal(coordinatorIdOf('kafka-2:9092 (id 2)'), 2);
    assert.equal(coordinatorIdOf(''), null);
  });

  test("they are exported with kafka_exporter's names; a leader that is not the first replica is not preferred; a short ISR is under-replicated", async () => {
    let now = 1_000_000;
    const views = new GroupViews({ staleAfterMs: 10_000, now: () => now });
    const g = buildGroupView(
      { group: 'lab-group', state: 'Stable', protocol: 'classic', assignor: 'range', coordinator: 'kafka-2:9092 (id 2)', members: [], committed: new Map() },
      { partitions: [0, 1, 2], end: new Map() },
    );
    views.succeeded([g], replicasOf(described));
    const text = await new ObserverMetrics(views, 'lab-events', { now: () => now }).registry.metrics();
    assert.deepEqual(lines(text, 'kafka_topic_partition_leader'), [
      'kafka_topic_partition_leader{topic="lab-events",partition="0"} 1',
      'kafka_topic_partition_leader{topic="lab-events",partition="1"} 3',
      'kafka_topic_partition_leader{topic="lab-events",partition="2"} -1',
    ]);
    assert.deepEqual(lines(text, 'kafka_topic_partition_replicas'), [0, 1, 2].map((p) => `kafka_topic_partition_replicas{topic="lab-events",partition="${p}"} 3`));
    assert.deepEqual(lines(text, 'kafka_topic_partition_in_sync_replica'), [
      'kafka_topic_partition_in_sync_replica{topic="lab-events",partition="0"} 3',
      'kafka_topic_partition_in_sync_replica{topic="lab-events",partition="1"} 2',
      'kafka_topic_partition_in_sync_replica{topic="lab-events",partition="2"} 0',
    ]);
    assert.deepEqual(lines(text, 'kafka_topic_partition_leader_is_preferred'), [
      'kafka_topic_partition_leader_is_preferred{topic="lab-events",partition="0"} 1',
      'kafka_topic_partition_leader_is_preferred{topic="lab-events",partition="1"} 0',
      'kafka_topic_partition_leader_is_preferred{topic="lab-events",partition="2"} 0',
    ]);
    assert.deepEqual(lines(text, 'kafka_topic_partition_under_replicated_partition'), [
      'kafka_topic_partition_under_replicated_partition{topic="lab-events",partition="0"} 0',
      'kafka_topic_partition_under_replicated_partition{topic="lab-events",partition="1"} 1',
      'kafka_topic_partition_under_replicated_partition{topic="lab-events",partition="2"} 1',
    ]);
    assert.deepEqual(lines(text, 'lab_topic_partition_replica_in_sync').filter((l) => l.includes('partition="1"')), [
      'lab_topic_partition_replica_in_sync{topic="lab-events",partition="1",broker="2"} 0',
      'lab_topic_partition_replica_in_sync{topic="lab-events",partition="1",broker="3"} 1',
      'lab_topic_partition_replica_in_sync{topic="lab-events",partition="1",broker="1"} 1',
    ]);
    assert.deepEqual(lines(text, 'lab_group_coordinator'), ['lab_group_coordinator{group="lab-group",broker="2"} 1']);

    // Kafka stops answering: the last picture is served while the groups' is, then dropped with it.
    views.failed(new Error('Local: Timed out'));
    now += 5_000;
    const stale = await new ObserverMetrics(views, 'lab-events', { now: () => now }).registry.metrics();
    assert.equal(lines(stale, 'kafka_topic_partition_leader').length, 3);
    now += 10_000;
    const dropped = await new ObserverMetrics(views, 'lab-events', { now: () => now }).registry.metrics();
    assert.deepEqual(lines(dropped, 'kafka_topic_partition_leader'), []);
    assert.deepEqual(lines(dropped, 'lab_group_coordinator'), []);
  });
});
