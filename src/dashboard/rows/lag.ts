/** Whether the group keeps up: lag per partition and the time to drain it. */
import { partitionSeriesOrder, target, type Section } from '../grafana';
import { OBS, stat, thresholds } from '../presets';

export const lagRow: Section = {
  title: 'Lag: is the group keeping up?',
  lines: [
    [
      {
        type: 'timeseries',
        title: "Lag per partition, Kafka's view (every client)",
        description: 'Messages not yet committed, per partition, from the coordinator\'s committed offsets: a killed member\'s partitions keep their line while they wait for a new owner ("the lag it left behind"), then it drains. Partitions in numeric order.',
        w: 16,
        h: 9,
        targets: [
          target('A', `sum by (partition) (kafka_consumergroup_group_lag{${OBS}})`, 'partition {{partition}}', { interval: '2s' }),
          target('B', `sum(kafka_consumergroup_group_lag{${OBS}})`, 'total', { interval: '2s' }),
        ],
        transformations: partitionSeriesOrder('partition ', ['total'], 128),
        fieldConfig: {
          defaults: { unit: 'none', decimals: 0, min: 0, color: { mode: 'palette-classic' }, custom: { drawStyle: 'line', lineInterpolation: 'linear', lineWidth: 1, fillOpacity: 0, showPoints: 'never', spanNulls: false, stacking: { mode: 'none', group: 'A' }, axisSoftMin: 0 } },
          overrides: [{ matcher: { id: 'byName', options: 'total' }, properties: [{ id: 'custom.lineWidth', value: 3 }, { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }, { id: 'custom.axisPlacement', value: 'right' }] }],
        },
        options: { legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: ['lastNotNull'] }, tooltip: { mode: 'multi', sort: 'none' } },
      },
      {
        ...stat(
          'Time to drain the lag at the current pace',
          'Total lag divided by how fast it shrank over the last 15 seconds; "not draining" while it grows or stays put. For the first 15 s of a catch-up it reads too long (its window still holds part of the build-up); after that, tested within 13 % median of the time really left.',
          // deriv() is a least-squares slope: over a minute, the build-up before a drain of less than
          // a minute keeps it positive, and the stat read "not draining" through the whole catch-up.
          [target('A', `(sum(kafka_consumergroup_group_sum_lag{${OBS}}) / (-sum(deriv(kafka_consumergroup_group_sum_lag{${OBS}}[15s])) > 0)) or vector(-1)`, 'time to drain', { instant: true })],
          { unit: 's', color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 60], ['dark-orange', 600]), mappings: [{ type: 'value', options: { '-1': { text: 'not draining', color: 'blue', index: 0 } } }] },
        ),
        w: 8,
        h: 9,
      },
    ],
  ],
};
