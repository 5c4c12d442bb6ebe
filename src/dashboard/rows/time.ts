/** Time, not only offsets (issue 20, docs/time.md): lag in seconds and the observer's rebalance timeline. */
import { partitionSeriesOrder, target, type Section } from '../grafana';
import { OBS, stat, thresholds } from '../presets';

export const timeRow: Section = {
  title: 'Time: how far behind, and every rebalance',
  lines: [
    [
      {
        type: 'timeseries',
        title: "Lag in seconds per partition, Kafka's view (every client)",
        description:
          'How old the oldest record the group has not processed is, per partition: 0 when caught up, rising one second per second while nobody consumes it. Dated by the observer from log-end offsets over time, and from the timestamp of the record itself where those cannot tell (a burst: one Fetch per such record; docs/time.md); measured error under 0.06 s. The thick line is the group: the largest.',
        w: 16,
        h: 9,
        targets: [
          target('A', `max by (partition) (kafka_consumergroup_group_lag_seconds{${OBS}})`, 'partition {{partition}}', { interval: '2s' }),
          target('B', `max(kafka_consumergroup_group_max_lag_seconds{${OBS}})`, 'group', { interval: '2s' }),
        ],
        transformations: partitionSeriesOrder('partition ', ['group'], 128),
        fieldConfig: {
          defaults: { unit: 's', decimals: 1, min: 0, color: { mode: 'palette-classic' }, custom: { drawStyle: 'line', lineInterpolation: 'linear', lineWidth: 1, fillOpacity: 0, showPoints: 'never', spanNulls: false, stacking: { mode: 'none', group: 'A' }, axisSoftMin: 0 } },
          overrides: [{ matcher: { id: 'byName', options: 'group' }, properties: [{ id: 'custom.lineWidth', value: 3 }, { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }],
        },
        options: { legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'none' } },
      },
      {
        ...stat(
          'Group lag in seconds',
          'The age of the oldest unprocessed record over all partitions (kafka_consumergroup_group_max_lag_seconds): how far behind the group is in time.',
          [target('A', `max(kafka_consumergroup_group_max_lag_seconds{${OBS}})`, 'behind', { instant: true })],
          { unit: 's', decimals: 1, color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 10], ['red', 60]) },
        ),
        w: 8,
        h: 4,
      },
    ],
    [
      {
        type: 'table',
        title: "Rebalance timeline, Kafka's view (every client): events since the observer started",
        description:
          'What the observer saw change between polls, by type: members joined, left (graceful or session expired), restarted (static), partitions moved, state changes, rebalances started and ended. The events themselves, in order with their times, are at the observer\'s GET /groups/events.',
        w: 16,
        h: 7,
        targets: [target('A', `sum by (type) (lab_group_events_total{${OBS}})`, '{{type}}', { instant: true, table: true })],
        transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { type: 'event', Value: 'count' } } }],
        fieldConfig: { defaults: { unit: 'none', decimals: 0 }, overrides: [] },
        options: { showHeader: true, sortBy: [{ displayName: 'event', desc: false }] },
      },
      {
        ...stat(
          "Last rebalance, Kafka's view",
          'From the poll that saw the last rebalance start to the poll that saw it end; 0: it began and ended within one poll interval.',
          [target('A', `max(lab_group_last_rebalance_duration_seconds{${OBS}})`, 'last rebalance', { instant: true })],
          { unit: 's', decimals: 1, color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 5], ['red', 30]) },
        ),
        w: 8,
        h: 4,
      },
    ],
  ],
};
