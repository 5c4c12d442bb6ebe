/** What a join or leave does: the group state over time, rebalance callbacks and pauses, the protocol in use. */
import { target, type Section } from '../grafana';
import { counted } from '../promql';
import { BARS, EVENT_BARS_MAX_POINTS, OBS, memberSeries } from '../presets';

export const rebalancesRow: Section = {
  title: 'Rebalances: what happens when a program joins or leaves?',
  lines: [
    [
      {
        type: 'state-timeline',
        title: "Group state over time, Kafka's view (every client)",
        description: 'The coordinator\'s state of the group over time: every stretch that is not "Stable" is a rebalance in progress.',
        w: 24,
        h: 5,
        targets: [target('A', `max by (group, state) (lab_group_info{${OBS}})`, '', { table: true, interval: '2s' })],
        transformations: [
          { id: 'groupingToMatrix', options: { columnField: 'group', rowField: 'Time', valueField: 'state', emptyValue: 'null' } },
          { id: 'convertFieldType', options: { fields: {}, conversions: [{ targetField: 'Time\\group', destinationType: 'time' }] } },
          { id: 'sortBy', options: { fields: {}, sort: [{ field: 'Time\\group', desc: false }] } },
        ],
        fieldConfig: {
          defaults: {
            color: { mode: 'fixed', fixedColor: 'text' },
            custom: { fillOpacity: 85, lineWidth: 0 },
            mappings: [
              { type: 'value', options: { Stable: { color: 'green', index: 0 }, Empty: { color: 'blue', index: 1 }, Dead: { color: 'dark-purple', index: 2 } } },
              { type: 'regex', options: { pattern: '/Rebalance|Assigning|Reconciling/', result: { color: 'orange', index: 3 } } },
            ],
          },
          overrides: [],
        },
        options: { showValue: 'auto', mergeValues: true, alignValue: 'center', rowHeight: 0.8, legend: { showLegend: true, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'single', sort: 'none' } },
      },
    ],
    [
      memberSeries(
        "Rebalance callbacks, our consumers' own report",
        'Each bar is a rebalance callback one of our replicas received in that interval (assign, revoke, lost), counted exactly once whatever the zoom. Nothing is drawn where nothing happened.',
        [target('A', `sum by (consumer, type) (${counted('lab_consumer_rebalance_events_total', '$__interval')}) > 0`, '{{consumer}} {{type}}', { interval: '2s' })],
        BARS,
        { decimals: 0 },
        { w: 8, legendCalcs: ['sum'], maxDataPoints: EVENT_BARS_MAX_POINTS },
      ),
      memberSeries(
        "Rebalance pause per consumer, our consumers' own report",
        'Seconds each of our replicas had no partition it could process because of a rebalance, in each interval: eager (range, roundrobin) pauses everybody at every rebalance, cooperative-sticky and KIP-848 nearly never. The legend\'s "sum" is the total pause in the time range.',
        [target('A', `sum by (consumer) (${counted('lab_consumer_rebalance_pause_seconds_sum', '$__interval')}) > 0`, '{{consumer}}', { interval: '2s' })],
        BARS,
        { unit: 's' },
        { w: 8, legendCalcs: ['sum', 'max'], maxDataPoints: EVENT_BARS_MAX_POINTS },
      ),
      {
        type: 'table',
        title: 'Rebalance protocol in use',
        description: 'What our replicas run with: the group protocol (classic or consumer, KIP-848) and the assignment strategy, and how many replicas run each.',
        w: 8,
        h: 8,
        targets: [target('A', 'count by (group, group_protocol, assignment_strategy) (lab_consumer_info)', '', { instant: true, table: true })],
        transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, indexByName: {}, renameByName: { Value: 'replicas', group_protocol: 'group protocol', assignment_strategy: 'assignment strategy' }, includeByName: {} } }],
        fieldConfig: { defaults: {}, overrides: [] },
        options: { showHeader: true },
      },
    ],
  ],
};
