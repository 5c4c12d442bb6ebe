/** Whether each member gets all messages or its share: our replicas' processing rate and the coordinator's commit rate per member. */
import { target, type Section } from '../grafana';
import { OBS, coloured, memberSeries } from '../presets';

export const throughputRow: Section = {
  title: 'Throughput: does each member get all messages or a subset?',
  lines: [
    [
      memberSeries(
        "Messages per second, our consumers' own report (stacked) vs produced",
        'Lab question 1 (a second program joins): each replica processes only the messages of its own partitions, so the coloured areas stack up to the "produced" line instead of each reaching it. When a replica leaves, its area disappears and the others grow.',
        [
          target('A', 'sum by (consumer) (rate(lab_consumer_messages_processed_total[$__rate_interval]))', '{{consumer}}'),
          target('B', 'sum(rate(lab_producer_messages_total[$__rate_interval]))', 'produced'),
          target('C', 'max(lab_producer_target_rate)', 'target rate'),
        ],
        { fillOpacity: 40, stacking: { mode: 'normal', group: 'A' } },
        { unit: 'msg/s' },
        {
          moreOverrides: [
            { matcher: { id: 'byName', options: 'produced' }, properties: [{ id: 'custom.stacking', value: { mode: 'none', group: 'produced' } }, { id: 'custom.fillOpacity', value: 0 }, { id: 'custom.lineWidth', value: 2 }, { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] },
            { matcher: { id: 'byName', options: 'target rate' }, properties: [{ id: 'custom.stacking', value: { mode: 'none', group: 'target' } }, { id: 'custom.fillOpacity', value: 0 }, { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }, { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] },
          ],
        },
      ),
      memberSeries(
        "Committed messages per second per member, Kafka's view (every client)",
        'The same question for every client, from the coordinator: how fast each member moves the group\'s committed offsets on the partitions it owns. Commits come in steps (every second for our replicas, every 5 s for Java\'s default), so this is rougher than the processing rate.',
        [
          target('A', coloured(`sum by (group, member) (sum by (group, topic, partition) (rate(kafka_consumergroup_group_offset{${OBS}}[$__rate_interval])) * on (group, topic, partition) group_left (member) max by (group, topic, partition, member) (lab_group_partition_owner{${OBS}}))`), '{{colour}}~{{member}}'),
          target('B', `sum(rate(kafka_partition_latest_offset{job="observer"}[$__rate_interval]) and on (topic) lab_group_partition_owned{${OBS}})`, 'produced'),
        ],
        { fillOpacity: 40, stacking: { mode: 'normal', group: 'A' } },
        { unit: 'msg/s' },
        { bySlot: true, moreOverrides: [{ matcher: { id: 'byName', options: 'produced' }, properties: [{ id: 'custom.stacking', value: { mode: 'none', group: 'produced' } }, { id: 'custom.fillOpacity', value: 0 }, { id: 'custom.lineWidth', value: 2 }, { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }] },
      ),
    ],
  ],
};
