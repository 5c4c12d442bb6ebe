/**
 * The lab dashboard, as provisioned in grafana/dashboards/consumer-group-lab.json
 * (`npm run dashboard` writes it; a unit test fails when the file differs from this source).
 *
 * Two views side by side. The coordinator's (job "observer": what Kafka's group coordinator says,
 * for every member whatever its client) is the headline: who owns what, members, lag. Our
 * replicas' own view (job "consumer": rate, pause, duplicates, gaps, latency) sits beside it.
 */
import { DATASOURCE, type FieldConfig, type Panel, type PanelSpec, layout, memberColourOverrides, memberValueMappings, partitionMatrix, partitionSeriesOrder, target } from './grafana';
import { counted, duplicatesPerStepPerPartition } from './promql';

const G = 'group="$group"';
const OBS = `job="observer", ${G}`;

/** Refresh choices: Grafana refuses anything below its min_refresh_interval, 5 s by default. */
export const REFRESH_INTERVALS = ['5s', '10s', '30s', '1m', '5m'];

function stat(title: string, description: string, targets: PanelSpec['targets'], fieldDefaults: Record<string, unknown>, extra: Partial<PanelSpec> = {}): PanelSpec {
  return {
    type: 'stat',
    title,
    description,
    w: 4,
    h: 4,
    targets,
    fieldConfig: { defaults: { unit: 'none', decimals: 0, mappings: [], ...fieldDefaults }, overrides: [] },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'value_and_name',
      wideLayout: true,
      showPercentChange: false,
    },
    ...extra,
  };
}

const thresholds = (...steps: [string, number | null][]) => ({ mode: 'absolute', steps: steps.map(([color, value]) => ({ color, value })) });

/** A time series whose series are members, coloured by name. */
function memberSeries(title: string, description: string, targets: PanelSpec['targets'], custom: Record<string, unknown>, defaults: Record<string, unknown> = {}, extra: Partial<PanelSpec> & { moreOverrides?: FieldConfig['overrides']; legendCalcs?: string[] } = {}): PanelSpec {
  const { moreOverrides = [], legendCalcs = ['lastNotNull'], ...rest } = extra;
  return {
    type: 'timeseries',
    title,
    description,
    w: 12,
    h: 8,
    targets,
    fieldConfig: {
      defaults: {
        min: 0,
        color: { mode: 'fixed', fixedColor: 'text' },
        custom: { drawStyle: 'line', lineInterpolation: 'linear', lineWidth: 1, fillOpacity: 0, showPoints: 'never', spanNulls: false, stacking: { mode: 'none', group: 'A' }, axisSoftMin: 0, ...custom },
        ...defaults,
      },
      overrides: [...memberColourOverrides(), ...moreOverrides],
    },
    options: { legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: legendCalcs }, tooltip: { mode: 'multi', sort: 'desc' } },
    ...rest,
  };
}

/** Events per query step, drawn as bars where something happened (and nothing where nothing did). */
const BARS = { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, barAlignment: 0 };

function ownershipTimeline(title: string, description: string, expr: string, valueField: string, emptyText: string, emptyColour?: string, noValue?: string): PanelSpec {
  return {
    type: 'state-timeline',
    title,
    description,
    w: 16,
    h: 11,
    targets: [target('A', expr, '', { table: true, interval: '2s' })],
    transformations: partitionMatrix(valueField, 128),
    fieldConfig: {
      defaults: {
        color: { mode: 'fixed', fixedColor: 'text' },
        custom: { fillOpacity: 85, lineWidth: 0, hideFrom: { legend: false, tooltip: false, viz: false } },
        mappings: memberValueMappings(emptyText, emptyColour),
        thresholds: thresholds(['text', null]),
        ...(noValue ? { noValue } : {}),
      },
      overrides: [],
    },
    options: {
      showValue: 'auto',
      mergeValues: true,
      alignValue: 'center',
      rowHeight: 0.85,
      // The legend lists each member in view with its colour (and "no owner" in red).
      legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
      tooltip: { mode: 'single', sort: 'none' },
    },
  };
}

function panels(): Panel[] {
  return layout([
    {
      title: 'Summary: the group as Kafka sees it (coordinator), and our replicas',
      lines: [
        [
          stat(
            'Members in the group',
            'Lab questions 1 and 2 (a program joins, a program leaves). "members": what the group coordinator lists, any client on any machine (kcat, a Java consumer, a colleague\'s laptop). "our replicas ready": replicas of this lab\'s consumer that are connected and joined. A killed member stays listed until its session times out.',
            [target('A', `max(lab_group_members{${OBS}}) or vector(0)`, 'members', { instant: true }), target('B', 'sum(lab_consumer_ready) or vector(0)', 'our replicas ready', { instant: true })],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['orange', null], ['green', 1]) },
          ),
          stat(
            'Group state',
            'The coordinator\'s state of the group ("Stable" when every member has its partitions; "PreparingRebalance"/"CompletingRebalance" (classic) or "Reconciling"/"Assigning" (KIP-848) while partitions move), the protocol and the assignor.',
            [target('A', `lab_group_info{${OBS}}`, '{{state}} · {{protocol}} · {{assignor}}', { instant: true })],
            { color: { mode: 'fixed', fixedColor: 'text' } },
            { options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'none', graphMode: 'none', justifyMode: 'auto', orientation: 'auto', textMode: 'name', wideLayout: true, showPercentChange: false } },
          ),
          stat(
            'Partitions without owner',
            'Partitions of the topic that the coordinator assigns to nobody: their messages wait. Red above 0. After a kill this stays 0 until the session timeout (the dead member still owns them), then rises briefly while the others take over.',
            [target('A', `count(lab_group_partition_owned{${OBS}} == 0) or vector(0)`, 'without owner', { instant: true }), target('B', `count(lab_group_partition_owned{${OBS}}) or vector(0)`, 'partitions', { instant: true })],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['red', 1]) },
            { fieldConfig: { defaults: { unit: 'none', decimals: 0, mappings: [], color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['red', 1]) }, overrides: [{ matcher: { id: 'byName', options: 'partitions' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }] } } as Partial<PanelSpec>,
          ),
          stat(
            'Idle members',
            'Lab: more consumers than partitions. "members": members the coordinator assigned no partition to (they joined and stand by). "our replicas": our replicas that are ready (joined) and own nothing; a replica still starting is not idle, it is not in the group yet.',
            [
              target('A', `count(lab_group_member_assigned_partitions{${OBS}} == 0) or vector(0)`, 'members', { instant: true }),
              target('B', 'lab:consumers_idle:count', 'our replicas', { instant: true }),
            ],
            { color: { mode: 'fixed', fixedColor: 'blue' } },
          ),
          stat(
            'Total lag',
            'Messages written to the topic and not yet committed by the group, summed over every partition, owned or not (from the coordinator\'s committed offsets).',
            [target('A', `sum(kafka_consumergroup_group_lag{${OBS}}) or vector(0)`, 'lag', { instant: true })],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 1000]) },
            { options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', justifyMode: 'auto', orientation: 'auto', textMode: 'value', wideLayout: true, showPercentChange: false } },
          ),
          stat(
            'View freshness',
            'How old the coordinator\'s view is: seconds since the group observer last reached the broker, and alerts firing. A stale view (observer cannot reach Kafka) turns orange: the panels above then show the last known state.',
            [
              target('A', 'max(time() - lab_observer_last_success_timestamp_seconds)', 'coordinator view age', { instant: true }),
              target('B', 'count(ALERTS{alertstate="firing"}) or vector(0)', 'alerts firing', { instant: true }),
            ],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 5]) },
            { fieldConfig: { defaults: { unit: 'none', decimals: 0, mappings: [], color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 5]) }, overrides: [{ matcher: { id: 'byName', options: 'coordinator view age' }, properties: [{ id: 'unit', value: 's' }, { id: 'decimals', value: 1 }] }, { matcher: { id: 'byName', options: 'alerts firing' }, properties: [{ id: 'thresholds', value: thresholds(['green', null], ['red', 1]) }] }] } } as Partial<PanelSpec>,
          ),
        ],
      ],
    },
    {
      title: 'Ownership: how are the partitions distributed?',
      lines: [
        [
          ownershipTimeline(
            'Partition owner (coordinator): one row per partition',
            'Lab questions 1 and 2: each row is a partition (0 at the top), coloured and labelled by the member the group coordinator assigned it to; a colour change is a rebalance, red "no owner" is a partition nobody has. Every client shows, not only our replicas. A member has the same colour on every panel, decided by its name: lab-consumer-1 to -16 have 16 different colours; other names (alice, rdkafka, ...) take one of the light colours by their first letter.',
            `max by (partition, member) (lab_group_partition_owner{${OBS}})`,
            'member',
            'no owner',
          ),
          {
            type: 'bargauge',
            title: 'Partitions per member (coordinator, now)',
            description: 'Lab: "how are partitions redistributed?": how many partitions the coordinator assigned each member right now. A member at 0 is idle.',
            w: 8,
            h: 11,
            targets: [target('A', `max by (member) (lab_group_member_assigned_partitions{${OBS}})`, '{{member}}', { instant: true })],
            fieldConfig: { defaults: { unit: 'none', decimals: 0, min: 0, color: { mode: 'fixed', fixedColor: 'text' } }, overrides: memberColourOverrides() },
            options: { orientation: 'horizontal', displayMode: 'basic', valueMode: 'color', showUnfilled: true, namePlacement: 'auto', sizing: 'auto', minVizHeight: 16, minVizWidth: 8, maxVizHeight: 300, reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, legend: { showLegend: false, displayMode: 'list', placement: 'bottom', calcs: [] } },
          },
        ],
        [
          memberSeries(
            'Partitions per member over time (coordinator)',
            'The share of each member as a history: it drops when a member joins and grows when one leaves.',
            [target('A', `max by (member) (lab_group_member_assigned_partitions{${OBS}})`, '{{member}}', { interval: '2s' })],
            { lineInterpolation: 'stepAfter', lineWidth: 2 },
            { decimals: 0 },
          ),
          ownershipTimeline(
            'Split view: a replica still working on a partition the coordinator gave to another member',
            'The zombie after `docker pause`: a paused or hung replica cannot be asked, so it is shown with what it believed at its last answer, and the coordinator gives its partitions to others once its session times out. Each row is a partition, labelled with our replica that believes it owns it while the coordinator lists another owner (hover for both). It ends when the replica is fenced (after `docker unpause` it learns it was removed, drops the partitions and rejoins). Our replicas only: other clients do not report what they believe. Empty ("No split") is the healthy state.',
            'max by (partition, consumer, member) (lab:partition_split_view{group="$group"})',
            'consumer',
            'agrees',
            'transparent',
            'No split: every replica agrees with the coordinator',
          ),
        ].map((p) => ({ ...p, w: 12, h: 9 })),
      ],
    },
    {
      title: 'Throughput: does each member get all messages or a subset?',
      lines: [
        [
          memberSeries(
            'Messages per second: our replicas (stacked) vs produced',
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
            'Committed messages per second per member (coordinator)',
            'The same question for every client, from the coordinator: how fast each member moves the group\'s committed offsets on the partitions it owns. Commits come in steps (every second for our replicas, every 5 s for Java\'s default), so this is rougher than the processing rate.',
            [
              target('A', `sum by (member) (sum by (group, topic, partition) (rate(kafka_consumergroup_group_offset{${OBS}}[$__rate_interval])) * on (group, topic, partition) group_left (member) max by (group, topic, partition, member) (lab_group_partition_owner{${OBS}}))`, '{{member}}'),
              target('B', `sum(rate(kafka_partition_latest_offset{job="observer"}[$__rate_interval]) and on (topic) lab_group_partition_owned{${OBS}})`, 'produced'),
            ],
            { fillOpacity: 40, stacking: { mode: 'normal', group: 'A' } },
            { unit: 'msg/s' },
            { moreOverrides: [{ matcher: { id: 'byName', options: 'produced' }, properties: [{ id: 'custom.stacking', value: { mode: 'none', group: 'produced' } }, { id: 'custom.fillOpacity', value: 0 }, { id: 'custom.lineWidth', value: 2 }, { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }] },
          ),
        ],
      ],
    },
    {
      title: 'Lag: is the group keeping up?',
      lines: [
        [
          {
            type: 'timeseries',
            title: 'Lag per partition (coordinator)',
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
              'Total lag divided by how fast it shrank over the last 15 seconds; "not draining" while it grows or stays put.',
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
    },
    {
      title: 'Rebalances: what happens when a program joins or leaves?',
      lines: [
        [
          {
            type: 'state-timeline',
            title: 'Group state (coordinator)',
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
            'Rebalance callbacks per replica',
            'Each bar is a rebalance callback one of our replicas received in that interval (assign, revoke, lost), counted exactly once whatever the zoom. Nothing is drawn where nothing happened.',
            [target('A', `sum by (consumer, type) (${counted('lab_consumer_rebalance_events_total', '$__interval')}) > 0`, '{{consumer}} {{type}}', { interval: '2s' })],
            BARS,
            { decimals: 0 },
            { w: 8, legendCalcs: ['sum'] },
          ),
          memberSeries(
            'Rebalance pause per replica',
            'Seconds each of our replicas had no partition it could process because of a rebalance, in each interval: eager (range, roundrobin) pauses everybody at every rebalance, cooperative-sticky and KIP-848 nearly never. The legend\'s "sum" is the total pause in the time range.',
            [target('A', `sum by (consumer) (${counted('lab_consumer_rebalance_pause_seconds_sum', '$__interval')}) > 0`, '{{consumer}}', { interval: '2s' })],
            BARS,
            { unit: 's' },
            { w: 8, legendCalcs: ['sum', 'max'] },
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
    },
    {
      title: 'Correctness: is any message lost or processed twice?',
      lines: [
        [
          stat(
            'Messages lost (sequence gaps)',
            'Jumps in a partition\'s sequence numbers while a replica owned it, in the time range: messages skipped. At-least-once must keep this at 0 through every rebalance, stop and kill.',
            [target('A', `sum(${counted('lab_consumer_sequence_gaps_total', '$__range')}) or vector(0)`, 'gaps', { instant: true })],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['red', 1]) },
            { w: 6, h: 5, options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', justifyMode: 'auto', orientation: 'auto', textMode: 'auto', wideLayout: true, showPercentChange: false } },
          ),
          stat(
            'Duplicates in the time range (group-wide)',
            'Messages processed a second time, by any replica: everything processed minus how far the group\'s processing frontier moved. Lag building or draining does not change it. A graceful stop adds 0; a kill adds what the dead replica had processed but not committed (at least what it had reported before it died: its last unscraped second is invisible to everybody).',
            [target('A', `sum(sum_over_time((${duplicatesPerStepPerPartition('$__interval')})[$__range:$__interval])) or vector(0)`, 'duplicates', { instant: true })],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 1]) },
            { w: 6, h: 5 },
          ),
          stat(
            'Redelivered to the same replica',
            'Messages a replica received again after processing them itself (an eager rebalance re-fetching, a restart with static membership).',
            [target('A', `sum(${counted('lab_consumer_redeliveries_total', '$__range')}) or vector(0)`, 'redelivered', { instant: true })],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 1]) },
            { w: 6, h: 5 },
          ),
          stat(
            'Invalid messages / producer delivery errors',
            'Messages that are not load-generator JSON (processed, counted, committed) and messages the load generator could not deliver (each becomes a gap), in the time range.',
            [
              target('A', `sum(${counted('lab_consumer_invalid_messages_total', '$__range')}) or vector(0)`, 'invalid', { instant: true }),
              target('B', `sum(${counted('lab_producer_delivery_errors_total', '$__range')}) or vector(0)`, 'delivery errors', { instant: true }),
            ],
            { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 1]) },
            { w: 6, h: 5 },
          ),
        ],
        [
          memberSeries(
            'Duplicates, redeliveries and gaps per interval',
            'Bars where something happened: group-wide duplicates (white), and per replica its redeliveries and gaps (gaps in red: they must never appear).',
            [
              target('A', `sum(${duplicatesPerStepPerPartition('$__interval')}) > 0`, 'duplicates (group)', { interval: '2s' }),
              target('B', `sum by (consumer) (${counted('lab_consumer_redeliveries_total', '$__interval')}) > 0`, '{{consumer}} redelivered', { interval: '2s' }),
              target('C', `sum by (consumer) (${counted('lab_consumer_sequence_gaps_total', '$__interval')}) > 0`, '{{consumer}} gaps', { interval: '2s' }),
            ],
            BARS,
            { decimals: 0 },
            {
              w: 24,
              h: 7,
              legendCalcs: ['sum'],
              moreOverrides: [
                { matcher: { id: 'byName', options: 'duplicates (group)' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] },
                { matcher: { id: 'byRegexp', options: '/ gaps$/' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }] },
              ],
            },
          ),
        ],
      ],
    },
    {
      title: 'Latency and resources per replica',
      lines: [
        [
          memberSeries(
            'Processing time per message (p50, p99)',
            'Time to process one message in each of our replicas (PROCESSING_MS of simulated work plus our own).',
            [
              target('A', 'histogram_quantile(0.5, sum by (consumer, le) (rate(lab_consumer_processing_duration_seconds_bucket[$__rate_interval])))', '{{consumer}} p50'),
              target('B', 'histogram_quantile(0.99, sum by (consumer, le) (rate(lab_consumer_processing_duration_seconds_bucket[$__rate_interval])))', '{{consumer}} p99'),
            ],
            {},
            { unit: 's' },
            { moreOverrides: [{ matcher: { id: 'byRegexp', options: '/ p99$/' }, properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }] }] },
          ),
          memberSeries(
            'End-to-end latency, produced to processed (p50, p99)',
            'From the moment the load generator produced a message to the end of its processing: grows with lag, and jumps for the partitions that waited for a new owner.',
            [
              target('A', 'histogram_quantile(0.5, sum by (consumer, le) (rate(lab_consumer_end_to_end_latency_seconds_bucket[$__rate_interval])))', '{{consumer}} p50'),
              target('B', 'histogram_quantile(0.99, sum by (consumer, le) (rate(lab_consumer_end_to_end_latency_seconds_bucket[$__rate_interval])))', '{{consumer}} p99'),
            ],
            {},
            { unit: 's' },
            { moreOverrides: [{ matcher: { id: 'byRegexp', options: '/ p99$/' }, properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }] }] },
          ),
        ],
        [
          memberSeries(
            'CPU per replica',
            'CPU seconds per second used by each of our replicas and by the load generator.',
            [
              target('A', 'sum by (consumer) (rate(process_cpu_seconds_total{job="consumer"}[$__rate_interval]))', '{{consumer}}'),
              target('B', 'sum(rate(process_cpu_seconds_total{job="producer"}[$__rate_interval]))', 'load generator'),
            ],
            {},
            { unit: 'percentunit' },
            { moreOverrides: [{ matcher: { id: 'byName', options: 'load generator' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }] },
          ),
          memberSeries(
            'Memory per replica (resident)',
            'Resident memory of each of our replicas and of the load generator.',
            [
              target('A', 'sum by (consumer) (process_resident_memory_bytes{job="consumer"})', '{{consumer}}'),
              target('B', 'sum(process_resident_memory_bytes{job="producer"})', 'load generator'),
            ],
            {},
            { unit: 'bytes' },
            { moreOverrides: [{ matcher: { id: 'byName', options: 'load generator' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }] },
          ),
        ],
      ],
    },
  ]);
}

function annotations() {
  const base = { datasource: DATASOURCE, enable: true, hide: false, step: '2s', useValueForTime: false };
  return [
    {
      ...base,
      name: 'Member joined (coordinator)',
      iconColor: 'green',
      // A member id the coordinator did not list one step earlier. Only while the observer was
      // up one step earlier, so an observer restart does not mark every member as new.
      expr: `(last_over_time(lab_group_member_info{${OBS}}[$__interval]) unless lab_group_member_info{${OBS}} offset $__interval) and on () (max(lab_observer_up offset $__interval) == 1)`,
      titleFormat: '{{member}} joined the group',
      textFormat: 'The coordinator lists {{member}} (client id {{client_id}}, host {{client_host}}): a rebalance gives it partitions',
      tagKeys: 'member',
    },
    {
      ...base,
      name: 'Member left (coordinator)',
      iconColor: 'purple',
      // Listed one step earlier, not now: a graceful leave at once, a kill once its session timed
      // out. Only while the observer is up now, so a stale view does not mark every member as gone.
      expr: `(lab_group_member_info{${OBS}} offset $__interval unless lab_group_member_info{${OBS}}) and on () (max(lab_observer_up) == 1)`,
      titleFormat: '{{member}} left the group',
      textFormat: 'The coordinator no longer lists {{member}} ({{client_id}} on {{client_host}}): it left, or its session timed out (a kill, a pause); its partitions move to the others',
      tagKeys: 'member',
    },
    {
      ...base,
      name: 'Rebalance callbacks (our replicas)',
      iconColor: 'orange',
      expr: `sum by (consumer, type) (${counted('lab_consumer_rebalance_events_total{type=~"assign|revoke|lost"}', '$__interval')}) > 0`,
      titleFormat: 'Rebalance: {{type}} on {{consumer}}',
      textFormat: '{{consumer}} received a {{type}} callback',
      tagKeys: 'consumer,type',
    },
  ];
}

export function labDashboard() {
  return {
    uid: 'consumer-group-lab',
    title: 'Consumer group lab',
    description:
      'Scale the consumer with `docker compose up -d --scale consumer=N`, stop, kill and pause replicas, add kcat or a colleague\'s consumer, and watch Kafka share the partitions: the coordinator\'s view (who owns what, members, lag) for every client, and our replicas\' own view (rate, pause, duplicates, gaps, latency). Generated from src/dashboard/lab-dashboard.ts.',
    tags: ['kafka', 'consumer-group', 'lab'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    liveNow: false,
    refresh: '5s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-15m', to: 'now' },
    timepicker: { refresh_intervals: REFRESH_INTERVALS },
    fiscalYearStartMonth: 0,
    weekStart: '',
    links: [],
    templating: {
      list: [
        {
          type: 'query',
          name: 'group',
          label: 'Consumer group',
          description: 'Groups the observer reports on the lab topic. The lab\'s own is lab-group.',
          datasource: DATASOURCE,
          definition: 'label_values(lab_group_info, group)',
          query: { qryType: 1, query: 'label_values(lab_group_info, group)', refId: 'PrometheusVariableQueryEditor-VariableQuery' },
          refresh: 2,
          regex: '',
          sort: 1,
          includeAll: false,
          multi: false,
          current: { selected: true, text: 'lab-group', value: 'lab-group' },
          options: [],
          hide: 0,
        },
      ],
    },
    annotations: { list: annotations() },
    panels: panels(),
  };
}

/** The provisioned file's exact text: two-space JSON and a final newline. */
export function labDashboardJson(): string {
  return `${JSON.stringify(labDashboard(), null, 2)}\n`;
}
