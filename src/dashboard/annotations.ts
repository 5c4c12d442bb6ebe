/** Marks on every time panel: members joining and leaving (coordinator), rebalance callbacks (our replicas). */
import { DATASOURCE } from './grafana';
import { OBS } from './presets';
import { counted } from './promql';

export function annotations() {
  const base = { datasource: DATASOURCE, enable: true, hide: false, step: '2s', useValueForTime: false };
  return [
    {
      ...base,
      name: "Member joined (Kafka's view)",
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
      name: "Member left (Kafka's view)",
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
      name: "Rebalance (Kafka's view)",
      iconColor: 'blue',
      // The observer's timeline (GET /groups/events): a rebalance it saw start or end in this step.
      expr: `sum by (type) (${counted(`lab_group_events_total{${OBS}, type=~"rebalance-started|rebalance-ended"}`, '$__interval')}) > 0`,
      titleFormat: 'Coordinator: {{type}}',
      textFormat: 'The observer saw the group {{type}} (its events, with times and moves: GET /groups/events on the observer)',
      tagKeys: 'type',
    },
    {
      ...base,
      // Off until a viewer ticks it at the top of the dashboard: the "Rebalance callbacks" panel
      // and the blue marks show the same moments, and this was the costliest query of a refresh
      // (a fifth of Prometheus' work for fifteen viewers: docs/viewers-benchmark.md).
      enable: false,
      name: "Rebalance callbacks (our consumers' own report)",
      iconColor: 'orange',
      expr: `sum by (consumer, type) (${counted('lab_consumer_rebalance_events_total{type=~"assign|revoke|lost"}', '$__interval')}) > 0`,
      titleFormat: 'Rebalance: {{type}} on {{consumer}}',
      textFormat: '{{consumer}} received a {{type}} callback',
      tagKeys: 'consumer,type',
    },
  ];
}
