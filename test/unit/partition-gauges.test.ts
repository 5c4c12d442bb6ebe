import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsumerMetrics } from '../../src/consumer/metrics';
import type { PartitionOffsets } from '../../src/consumer/stats';

const GAUGES = ['lab_consumer_committed_offset', 'lab_consumer_position_offset', 'lab_consumer_high_watermark_offset', 'lab_consumer_lag_messages', 'kafka_consumergroup_group_lag'];

function metrics(): ConsumerMetrics {
  return new ConsumerMetrics({ name: 't', group: 'g', topic: 'orders', clientId: 't', groupProtocol: 'classic', assignmentStrategy: 'range' });
}

async function series(m: ConsumerMetrics, name: string, partition: string): Promise<number | undefined> {
  const got = await m.registry.getSingleMetric(name)!.get();
  return got.values.find((v) => String(v.labels.partition) === partition)?.value;
}

const active = (partition: number, lag: number | null = 5): PartitionOffsets => ({ partition, committed: 95, position: 100, highWatermark: 100, lag });

describe('per-partition offset and lag gauges', () => {
  test('a partition whose fetch state is no longer active (outage, leader change) stops being exported instead of freezing', async () => {
    const m = metrics();
    const owned = new Set([0, 1]);
    m.offsets(owned, [active(0), active(1)], 'member-1');
    for (const g of GAUGES) assert.notEqual(await series(m, g, '0'), undefined, `${g} exported while active`);

    m.offsets(owned, [active(1)], 'member-1');
    for (const g of GAUGES) {
      assert.equal(await series(m, g, '0'), undefined, `${g} for the inactive partition is gone`);
      assert.notEqual(await series(m, g, '1'), undefined, `${g} for the active partition stays`);
    }
  });

  test('a value that becomes unknown is no longer exported', async () => {
    const m = metrics();
    m.offsets(new Set([0]), [active(0, 5)], 'member-1');
    m.offsets(new Set([0]), [active(0, null)], 'member-1');
    assert.equal(await series(m, 'lab_consumer_lag_messages', '0'), undefined);
    assert.equal(await series(m, 'kafka_consumergroup_group_lag', '0'), undefined);
    assert.equal(await series(m, 'lab_consumer_committed_offset', '0'), 95);
  });
});
