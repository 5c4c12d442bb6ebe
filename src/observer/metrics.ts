import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProcessUsage } from './kafka-client-messages';
import type { KafkaClientSupervisor } from './kafka-client-supervisor';
import type { GroupViews } from './poller';

/**
 * The coordinator's view as Prometheus series, filled from the poller's last picture when a
 * scrape asks (collect), so a scrape never sees half of one poll and half of the next. Labels are
 * bounded by what exists now: members and partitions of the observed groups, plus a capped list
 * of recent departures. Lag and offsets use kafka-lag-exporter's names and labels.
 */
export class ObserverMetrics {
  readonly registry = new Registry();
  readonly pollSeconds: Histogram<string>;
  readonly polls: Counter<'result'>;

  constructor(
    poller: GroupViews,
    topic: string,
    {
      requests = new Map(),
      kafkaClient = null,
      kafkaClientUsage = null,
      now = Date.now,
    }: {
      requests?: ReadonlyMap<string, number>;
      kafkaClient?: Pick<KafkaClientSupervisor, 'state' | 'exits'> | null;
      kafkaClientUsage?: Readonly<ProcessUsage> | null;
      now?: () => number;
    } = {},
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const groups = () => poller.groups();
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill(this);
        },
      });

    gauge('lab_group_info', 'Always 1 per observed group; labels give its state, protocol (classic or consumer = KIP-848), assignor and coordinator.', ['group', 'state', 'protocol', 'assignor', 'coordinator'], (g) => {
      for (const v of groups()) g.set({ group: v.group, state: v.state, protocol: v.protocol, assignor: v.assignor, coordinator: v.coordinator }, 1);
    });
    gauge('lab_group_coordinator', 'Always 1 per observed group: the broker (node id) that coordinates it; moves when that broker goes away.', ['group', 'broker'], (g) => {
      for (const v of groups()) if (v.coordinatorId !== null) g.set({ group: v.group, broker: String(v.coordinatorId) }, 1);
    });
    // Where the topic's partitions live, with kafka_exporter's names and labels.
    const replicas = () => poller.replicas();
    gauge('kafka_topic_partition_leader', 'Broker (node id) leading the partition; -1 while it has no leader.', ['topic', 'partition'], (g) => {
      for (const p of replicas()) g.set({ topic, partition: String(p.partition) }, p.leader ?? -1);
    });
    gauge('kafka_topic_partition_replicas', 'Replicas of the partition.', ['topic', 'partition'], (g) => {
      for (const p of replicas()) g.set({ topic, partition: String(p.partition) }, p.replicas.length);
    });
    gauge('kafka_topic_partition_in_sync_replica', 'In-sync replicas of the partition.', ['topic', 'partition'], (g) => {
      for (const p of replicas()) g.set({ topic, partition: String(p.partition) }, p.isr.length);
    });
    gauge('kafka_topic_partition_leader_is_preferred', '1 if the leader is the preferred replica (the first assigned), else 0.', ['topic', 'partition'], (g) => {
      for (const p of replicas()) g.set({ topic, partition: String(p.partition) }, p.leader !== null && p.leader === p.replicas[0] ? 1 : 0);
    });
    gauge('kafka_topic_partition_under_replicated_partition', '1 if fewer replicas are in sync than assigned, else 0.', ['topic', 'partition'], (g) => {
      for (const p of replicas()) g.set({ topic, partition: String(p.partition) }, p.isr.length < p.replicas.length ? 1 : 0);
    });
    gauge('lab_topic_partition_replica_in_sync', 'One series per replica (broker = node id): 1 while in sync, 0 while it lags or its broker is down.', ['topic', 'partition', 'broker'], (g) => {
      for (const p of replicas()) for (const b of p.replicas) g.set({ topic, partition: String(p.partition), broker: String(b) }, p.isr.includes(b) ? 1 : 0);
    });
    gauge('lab_group_assignment_generation', "Changes of the group's assignment (members, or who owns which partition) the observer saw since it first saw the group; starts at 0. Count them with changes(), which misses no first change.", ['group'], (g) => {
      for (const a of poller.assignmentGenerations()) g.set({ group: a.group }, a.generation);
    });
    gauge('lab_group_members', 'Members of the group, as the group coordinator lists them (any client, any machine).', ['group'], (g) => {
      for (const v of groups()) g.set({ group: v.group }, v.members.length);
    });
    gauge('lab_group_member_info', 'Always 1 per member; member is the readable name (the client id when unique in the group).', ['group', 'member', 'member_id', 'client_id', 'client_host', 'instance_id'], (g) => {
      for (const v of groups())
        for (const m of v.members) g.set({ group: v.group, member: m.member, member_id: m.memberId, client_id: m.clientId, client_host: m.clientHost, instance_id: m.instanceId ?? '' }, 1);
    });
    gauge('lab_group_member_colour', 'Always 1 per member: its colour slot on the dashboard (colour, two digits), kept while the member stays; distinct for up to 32 members.', ['group', 'member', 'colour'], (g) => {
      for (const v of groups()) for (const m of v.members) g.set({ group: v.group, member: m.member, colour: String(m.colour).padStart(2, '0') }, 1);
    });
    gauge('lab_group_member_assigned_partitions', 'Partitions of the topic the coordinator assigned to the member.', ['group', 'member'], (g) => {
      for (const v of groups()) for (const m of v.members) g.set({ group: v.group, member: m.member }, m.partitions.length);
    });
    gauge('lab_group_partition_owner', 'Always 1: the member the coordinator assigned this partition to (no series while nobody owns it).', ['group', 'topic', 'partition', 'member'], (g) => {
      for (const v of groups()) for (const p of v.partitions) if (p.owner) g.set({ group: v.group, topic, partition: String(p.partition), member: p.owner.member }, 1);
    });
    gauge('lab_group_partition_owned', '1 if a member of the group owns the partition, 0 if nobody does.', ['group', 'topic', 'partition'], (g) => {
      for (const v of groups()) for (const p of v.partitions) g.set({ group: v.group, topic, partition: String(p.partition) }, p.owner ? 1 : 0);
    });
    gauge('lab_group_partition_target_owner', 'KIP-848 only: the member the coordinator is moving the partition to, while the move is in progress.', ['group', 'topic', 'partition', 'member'], (g) => {
      for (const v of groups()) for (const p of v.partitions) if (p.targetOwner) g.set({ group: v.group, topic, partition: String(p.partition), member: p.targetOwner }, 1);
    });
    const lagLabels = ['group', 'topic', 'partition', 'member_host', 'consumer_id', 'client_id'] as const;
    const lagLabelValues = (group: string, p: { partition: number; owner: { clientHost: string; memberId: string; clientId: string } | null }) => ({
      group,
      topic,
      partition: String(p.partition),
      member_host: p.owner?.clientHost ?? '',
      consumer_id: p.owner?.memberId ?? '',
      client_id: p.owner?.clientId ?? '',
    });
    gauge('kafka_consumergroup_group_offset', "The group's committed offset, from the broker, owned or not.", lagLabels, (g) => {
      for (const v of groups()) for (const p of v.partitions) if (p.committed !== null) g.set(lagLabelValues(v.group, p), p.committed);
    });
    gauge('kafka_consumergroup_group_lag', 'Log-end offset minus the committed offset, from the broker, owned or not (the lag a dead member left keeps its series).', lagLabels, (g) => {
      for (const v of groups()) for (const p of v.partitions) if (p.lag !== null) g.set(lagLabelValues(v.group, p), p.lag);
    });
    // Time lag with kafka-lag-exporter's names: per partition, and the group's largest.
    gauge('kafka_consumergroup_group_lag_seconds', 'Age of the oldest record the group has not processed (the one at the committed offset), in seconds, dated from log-end offsets over time and, where those cannot tell (a burst), from the timestamp of the record itself; 0 when caught up.', lagLabels, (g) => {
      for (const v of groups()) for (const p of v.partitions) if (p.lagSeconds !== null) g.set(lagLabelValues(v.group, p), p.lagSeconds);
    });
    gauge('kafka_consumergroup_group_max_lag_seconds', "The group's lag in time: the largest kafka_consumergroup_group_lag_seconds over the topic's partitions.", ['group'], (g) => {
      for (const v of groups()) if (v.maxLagSeconds !== null) g.set({ group: v.group }, v.maxLagSeconds);
    });
    gauge('kafka_consumergroup_group_sum_lag', 'Sum of the lag over the partitions of the topic.', ['group', 'topic'], (g) => {
      for (const v of groups()) g.set({ group: v.group, topic }, v.totalLag);
    });
    gauge('kafka_partition_latest_offset', 'Log-end offset (high watermark) of each partition of the topic.', ['topic', 'partition'], (g) => {
      const seen = new Set<number>();
      for (const v of groups())
        for (const p of v.partitions)
          if (p.end !== null && !seen.has(p.partition)) {
            seen.add(p.partition);
            g.set({ topic, partition: String(p.partition) }, p.end);
          }
    });
    gauge('lab_group_member_joined_timestamp_seconds', 'When the observer first saw the member in the group (Unix seconds); one series per present member.', ['group', 'member'], (g) => {
      for (const e of poller.currentMembers()) g.set({ group: e.group, member: e.member }, e.at / 1000);
    });
    gauge('lab_group_member_left_timestamp_seconds', 'When the member was gone from the group (Unix seconds); the most recent departures only.', ['group', 'member'], (g) => {
      for (const e of poller.departures()) g.set({ group: e.group, member: e.member }, e.at / 1000);
    });
    // The rebalance timeline (GET /groups/events) as series, for annotations and the dashboard's table.
    new Counter({
      name: 'lab_group_events_total',
      help: 'Events on the rebalance timeline (GET /groups/events) since the observer started, by group and type: member-joined, member-left, member-restarted, partition-moved, state-changed, rebalance-started, rebalance-ended, group-vanished.',
      labelNames: ['group', 'type'],
      registers,
      collect() {
        this.reset();
        for (const [key, n] of poller.timeline.counts) {
          const [group, type] = key.split('\u0000');
          this.inc({ group, type }, n);
        }
      },
    });
    gauge('lab_group_last_rebalance_duration_seconds', "The group's last rebalance as the observer saw it: from the poll that saw it start to the poll that saw it end (0: within one poll interval).", ['group'], (g) => {
      for (const [group, ms] of poller.timeline.lastRebalanceMs) g.set({ group }, ms / 1000);
    });
    gauge('lab_observer_up', '1 if the last poll of the brokers succeeded; 0 while Kafka or the observer\'s Kafka client process does not answer (the group series are then the last good view, stale, dropped after OBSERVER_STALE_AFTER_MS).', [], (g) => {
      g.set(poller.status.up ? 1 : 0);
    });
    gauge('lab_observer_last_success_timestamp_seconds', 'When the last successful poll ended (Unix seconds).', [], (g) => {
      if (poller.status.lastSuccessAt !== null) g.set(poller.status.lastSuccessAt / 1000);
    });
    gauge('lab_observer_view_age_seconds', 'Age of the exported view: how long ago the last successful poll ended.', [], (g) => {
      if (poller.status.lastSuccessAt !== null) g.set((now() - poller.status.lastSuccessAt) / 1000);
    });
    if (kafkaClient) {
      gauge('lab_observer_kafka_client_running', "1 while the observer's Kafka client process runs; 0 between its exit and its restart.", [], (g) => {
        g.set(kafkaClient.state.running ? 1 : 0);
      });
      new Counter({
        name: 'lab_observer_kafka_client_restarts_total',
        help: "Unasked exits of the observer's Kafka client process, each followed by a restart, by reason (the signal, e.g. SIGABRT for a native abort, or exit_<code>).",
        labelNames: ['reason'],
        registers,
        collect() {
          this.reset();
          this.inc({ reason: 'SIGABRT' }, 0);
          for (const [reason, n] of kafkaClient.exits()) this.inc({ reason }, n);
        },
      });
    }
    if (kafkaClientUsage) {
      // process_* above are this process's; the polling costs are in the Kafka client process.
      new Counter({
        name: 'lab_observer_kafka_client_cpu_seconds_total',
        help: "CPU (user + system) used by the observer's Kafka client processes, as of their last poll.",
        registers,
        collect() {
          this.reset();
          this.inc(kafkaClientUsage.cpuSeconds);
        },
      });
      gauge('lab_observer_kafka_client_resident_memory_bytes', "Resident memory of the observer's Kafka client process, as of its last poll (0 while it restarts).", [], (g) => {
        g.set(kafkaClientUsage.residentBytes);
      });
    }
    new Counter({
      name: 'lab_observer_kafka_requests_total',
      help: "Requests the observer sent to the brokers, by Kafka API (librdkafka's statistics, every 5 s).",
      labelNames: ['request'],
      registers,
      collect() {
        this.reset();
        for (const [request, n] of requests) this.inc({ request }, n);
      },
    });
    this.pollSeconds = new Histogram({
      name: 'lab_observer_poll_duration_seconds',
      help: 'Time one poll (list, describe, committed and end offsets) took.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.polls = new Counter({ name: 'lab_observer_polls_total', help: 'Polls of the brokers, by result (ok or error).', labelNames: ['result'], registers });
    // Both results exist from the start, so rate() and increase() see the first error.
    this.polls.inc({ result: 'ok' }, 0);
    this.polls.inc({ result: 'error' }, 0);
  }
}
