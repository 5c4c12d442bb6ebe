/**
 * Brokers and failover (issue 17): which broker leads each partition and coordinates the group,
 * over time, next to the ownership above, so a killed broker shows as leaders and the coordinator
 * moving while the group's owners stay put.
 */
import { NO_OWNER_COLOUR } from '../member-colours';
import { partitionMatrix, partitionSeriesOrder, target, type PanelSpec, type Section, type ValueMapping } from '../grafana';
import { G, stat, thresholds } from '../presets';

/** The observer's partition metrics carry the topic, not the group. */
const TOPIC = 'job="observer"';

/** One colour per broker id; a lab runs one or three brokers, a few more keep their own colour. */
const BROKER_COLOURS = ['#5794F2', '#FADE2A', '#B877D9', '#73BF69', '#FF9830', '#8AB8FF', '#CA95E5', '#96D98D', '#FFB357'];

function brokerMappings(none: string): ValueMapping[] {
  const options: Record<string, { text: string; color: string; index: number }> = { '-1': { text: none, color: NO_OWNER_COLOUR, index: 0 } };
  BROKER_COLOURS.forEach((color, i) => (options[String(i + 1)] = { text: `broker ${i + 1}`, color, index: i + 1 }));
  return [{ type: 'value', options }];
}

function brokerTimeline(title: string, description: string, spec: Pick<PanelSpec, 'targets' | 'transformations'>, none: string, w: number, h: number): PanelSpec {
  return {
    type: 'state-timeline',
    title,
    description,
    w,
    h,
    ...spec,
    fieldConfig: {
      defaults: { color: { mode: 'fixed', fixedColor: 'text' }, custom: { fillOpacity: 85, lineWidth: 0 }, mappings: brokerMappings(none), thresholds: thresholds(['text', null]) },
      overrides: [],
    },
    options: { showValue: 'auto', mergeValues: true, alignValue: 'center', rowHeight: 0.85, legend: { showLegend: true, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'single', sort: 'none' } },
  };
}

export const failoverRow: Section = {
  title: "Brokers and failover, Kafka's view: who leads each partition, who coordinates the group",
  lines: [
    [
      brokerTimeline(
        'Leader per partition over time',
        'Each row is a partition (0 at the top), coloured by the broker that leads it: producers write to it and consumers fetch from it. Kill a broker and its partitions change colour within seconds (a new leader from the in-sync replicas); red "no leader" is a partition no broker can serve. Our consumers barely notice: they refetch metadata and continue.',
        { targets: [target('A', `max by (partition) (kafka_topic_partition_leader{${TOPIC}})`, '', { table: true, interval: '2s' })], transformations: partitionMatrix('Value', 128) },
        'no leader',
        16,
        9,
      ),
      brokerTimeline(
        'Group coordinator over time',
        'The broker that coordinates the group (joins, heartbeats, assignments, committed offsets). Kill it and another broker takes over the group within seconds; the members reconnect to it without leaving, so the ownership above does not change.',
        {
          targets: [target('A', `max by (group, broker) (lab_group_coordinator{job="observer", ${G}})`, '', { table: true, interval: '2s' })],
          transformations: [
            { id: 'groupingToMatrix', options: { columnField: 'group', rowField: 'Time', valueField: 'broker', emptyValue: 'null' } },
            { id: 'convertFieldType', options: { fields: {}, conversions: [{ targetField: 'Time\\group', destinationType: 'time' }] } },
            { id: 'sortBy', options: { fields: {}, sort: [{ field: 'Time\\group', desc: false }] } },
          ],
        },
        'unknown',
        8,
        9,
      ),
    ],
    [
      {
        type: 'timeseries',
        title: 'In-sync replicas per partition',
        description: 'How many of each partition\'s replicas are caught up with its leader. With three brokers and replication factor 3 every line sits at 3; a dead or lagging broker takes one off each of its partitions until it has caught up again. Below min.insync.replicas (2 in the three-broker profile) producers with acks=all are refused.',
        w: 12,
        h: 8,
        targets: [
          target('A', `min by (partition) (kafka_topic_partition_in_sync_replica{${TOPIC}})`, 'partition {{partition}}', { interval: '2s' }),
          target('B', `max(kafka_topic_partition_replicas{${TOPIC}})`, 'replicas', { interval: '2s' }),
        ],
        transformations: partitionSeriesOrder('partition ', ['replicas'], 128),
        fieldConfig: {
          defaults: { unit: 'none', decimals: 0, min: 0, color: { mode: 'palette-classic' }, custom: { drawStyle: 'line', lineInterpolation: 'stepAfter', lineWidth: 1, fillOpacity: 0, showPoints: 'never', spanNulls: false, stacking: { mode: 'none', group: 'A' }, axisSoftMin: 0 } },
          overrides: [{ matcher: { id: 'byName', options: 'replicas' }, properties: [{ id: 'custom.lineWidth', value: 2 }, { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }, { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }],
        },
        options: { legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'min'] }, tooltip: { mode: 'multi', sort: 'none' } },
      },
      stat(
        'Under-replicated / not on the preferred leader',
        '"under-replicated": partitions with fewer in-sync replicas than replicas (red: a broker is down or behind). "not on preferred leader": partitions led by another broker than their first replica, as after a failover (orange: the load is uneven until Kafka moves leadership back, within 5 minutes by default).',
        [
          target('A', `sum(kafka_topic_partition_under_replicated_partition{${TOPIC}})`, 'under-replicated', { instant: true }),
          target('B', `sum(1 - kafka_topic_partition_leader_is_preferred{${TOPIC}})`, 'not on preferred leader', { instant: true }),
        ],
        { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['red', 1]) },
        {
          w: 6,
          h: 8,
          fieldConfig: {
            defaults: { unit: 'none', decimals: 0, mappings: [], color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['red', 1]) },
            overrides: [{ matcher: { id: 'byName', options: 'not on preferred leader' }, properties: [{ id: 'thresholds', value: thresholds(['green', null], ['orange', 1]) }] }],
          },
        } as Partial<PanelSpec>,
      ),
      stat(
        "Observer: view age and its Kafka client's restarts",
        'How old Kafka\'s view on this dashboard is (orange above 5 s: the observer cannot reach the brokers, the panels show the last known state), and how often the observer\'s Kafka client process ended and was restarted (a native abort of librdkafka during a broker failover costs seconds of view, not the view).',
        [
          target('A', 'max(lab_observer_view_age_seconds)', 'view age', { instant: true }),
          target('B', 'sum(lab_observer_kafka_client_restarts_total)', 'client restarts', { instant: true }),
        ],
        { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 5]) },
        {
          w: 6,
          h: 8,
          fieldConfig: {
            defaults: { unit: 'none', decimals: 0, mappings: [], color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 5]) },
            overrides: [
              { matcher: { id: 'byName', options: 'view age' }, properties: [{ id: 'unit', value: 's' }, { id: 'decimals', value: 1 }] },
              { matcher: { id: 'byName', options: 'client restarts' }, properties: [{ id: 'thresholds', value: thresholds(['green', null], ['orange', 1]) }] },
            ],
          },
        } as Partial<PanelSpec>,
      ),
    ],
  ],
};
