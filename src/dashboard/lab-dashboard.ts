/**
 * The lab dashboard, as provisioned in grafana/dashboards/consumer-group-lab.json
 * (`npm run dashboard` writes it; a unit test fails when the file differs from this source).
 *
 * Two views side by side. The coordinator's (job "observer": what Kafka's group coordinator says,
 * for every member whatever its client) is the headline: who owns what, members, lag. Our
 * replicas' own view (job "consumer": rate, pause, duplicates, gaps, latency) sits beside it.
 */
import { type Panel, DATASOURCE, layout } from './grafana';
import { annotations } from './annotations';
import { correctnessRow } from './rows/correctness';
import { lagRow } from './rows/lag';
import { latencyRow } from './rows/latency';
import { ownershipRow } from './rows/ownership';
import { rebalancesRow } from './rows/rebalances';
import { summaryRow } from './rows/summary';
import { throughputRow } from './rows/throughput';

/** Refresh choices: Grafana refuses anything below its min_refresh_interval, 5 s by default. */
export const REFRESH_INTERVALS = ['5s', '10s', '30s', '1m', '5m'];

function panels(): Panel[] {
  return layout([summaryRow, ownershipRow, throughputRow, lagRow, rebalancesRow, correctnessRow, latencyRow]);
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
