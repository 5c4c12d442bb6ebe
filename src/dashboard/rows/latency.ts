/** Processing and end-to-end latency, CPU and memory per replica. */
import { target, type Section } from '../grafana';
import { memberSeries } from '../presets';

export const latencyRow: Section = {
  title: 'Diagnostics: latency and resources of our consumers',
  collapsed: true,
  lines: [
    [
      memberSeries(
        'Processing time per message (p50, p99)',
        'Time to process one message in each of our replicas (PROCESSING_MS of simulated work plus our own), over the last 15 s.',
        [
          target('A', 'consumer:lab_consumer_processing_duration_seconds:p50_rate15s', '{{consumer}} p50'),
          target('B', 'consumer:lab_consumer_processing_duration_seconds:p99_rate15s', '{{consumer}} p99'),
        ],
        {},
        { unit: 's' },
        { moreOverrides: [{ matcher: { id: 'byRegexp', options: '/ p99$/' }, properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }] }] },
      ),
      memberSeries(
        'End-to-end latency, produced to processed (p50, p99)',
        'From the moment the load generator produced a message to the end of its processing, over the last 15 s: grows with lag, and jumps for the partitions that waited for a new owner.',
        [
          target('A', 'consumer:lab_consumer_end_to_end_latency_seconds:p50_rate15s', '{{consumer}} p50'),
          target('B', 'consumer:lab_consumer_end_to_end_latency_seconds:p99_rate15s', '{{consumer}} p99'),
        ],
        {},
        { unit: 's' },
        { moreOverrides: [{ matcher: { id: 'byRegexp', options: '/ p99$/' }, properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }] }] },
      ),
    ],
    [
      memberSeries(
        'CPU per consumer',
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
        'Memory per consumer (resident)',
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
};
