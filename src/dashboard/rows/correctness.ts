/** Whether anything is lost or processed twice: gaps, duplicates, redeliveries, invalid messages. */
import { target, type Section } from '../grafana';
import { counted, duplicatesPerStepPerPartition } from '../promql';
import { BARS, EVENT_BARS_MAX_POINTS, memberSeries, stat, thresholds } from '../presets';

export const correctnessRow: Section = {
  title: "Correctness: is any message lost or processed twice? (our consumers' own report)",
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
        { w: 6, h: 5, maxDataPoints: EVENT_BARS_MAX_POINTS },
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
          maxDataPoints: EVENT_BARS_MAX_POINTS,
          moreOverrides: [
            { matcher: { id: 'byName', options: 'duplicates (group)' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] },
            { matcher: { id: 'byRegexp', options: '/ gaps$/' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }] },
          ],
        },
      ),
    ],
  ],
};
