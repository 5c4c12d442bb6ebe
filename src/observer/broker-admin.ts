import { AdminClient, ConsumerGroupStates, ConsumerGroupTypes, OffsetSpec, Producer, type IAdminClient, type GroupDescription, type Metadata } from '@confluentinc/kafka-javascript';
import { replicasOf, type DescribedPartition, type PartitionReplicas } from './partition-replicas';
import { securitySettings, type KafkaSecurity } from '../shared/kafka-security';
import type { GroupProtocol, RawGroup, RawMember, TopicOffsets } from './group-view';

/**
 * The observer's only contact with Kafka: the admin API of @confluentinc/kafka-javascript
 * (librdkafka 2.15). librdkafka describes a KIP-848 group with ConsumerGroupDescribe and a classic
 * one with DescribeGroups, and decodes both assignments, so every client (ours, kcat, Java, ...)
 * is seen the same way. Every call is asynchronous on librdkafka's threads and bounded by a
 * timeout: an unreachable broker fails a poll, it never blocks the HTTP server.
 */
export interface BrokerAdminOptions {
  brokers: string;
  clientId: string;
  security: KafkaSecurity;
  timeoutMs: number;
}

export interface GroupListing {
  group: string;
  protocol: GroupProtocol;
}

const STATE_NAMES: Record<number, string> = {
  [ConsumerGroupStates.UNKNOWN]: 'Unknown',
  [ConsumerGroupStates.PREPARING_REBALANCE]: 'PreparingRebalance',
  [ConsumerGroupStates.COMPLETING_REBALANCE]: 'CompletingRebalance',
  [ConsumerGroupStates.STABLE]: 'Stable',
  [ConsumerGroupStates.DEAD]: 'Dead',
  [ConsumerGroupStates.EMPTY]: 'Empty',
};

function protocolOf(type: ConsumerGroupTypes): GroupProtocol {
  if (type === ConsumerGroupTypes.CONSUMER) return 'consumer';
  if (type === ConsumerGroupTypes.CLASSIC) return 'classic';
  return 'unknown';
}

function call<T>(fn: (cb: (err: unknown, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
}

/**
 * Adds one librdkafka statistics line's request counts (per Kafka API, over its brokers) to
 * `requests`. Counters per broker connection only grow, and a broker that went away takes its
 * counts along, so a total never goes down.
 */
export function countRequests(json: string, requests: Map<string, number>): void {
  const totals = new Map<string, number>();
  try {
    const stats = JSON.parse(json) as { brokers?: Record<string, { req?: Record<string, number> }> };
    for (const b of Object.values(stats.brokers ?? {})) for (const [api, n] of Object.entries(b.req ?? {})) if (n > 0) totals.set(api, (totals.get(api) ?? 0) + n);
  } catch {
    return;
  }
  for (const [api, n] of totals) requests.set(api, Math.max(n, requests.get(api) ?? 0));
}

export class BrokerAdmin {
  private readonly client: IAdminClient;
  /** Requests sent to the brokers since start, by Kafka API name (from librdkafka's statistics). */
  readonly requests = new Map<string, number>();

  /**
   * For the topic's partitions, leaders and replicas: a Metadata request, which librdkafka sends to
   * any broker that is up. DescribeTopics goes to the broker its metadata names as controller, and
   * with that broker down it timed out on every poll of a 15 s outage.
   */
  private metadata: Promise<Producer> | null = null;
  /** When a broker last answered a Metadata request (ms since the epoch); 0: never. */
  metadataAnsweredAt = 0;

  constructor(private readonly options: BrokerAdminOptions) {
    this.client = AdminClient.create({
      'bootstrap.servers': options.brokers,
      'client.id': options.clientId,
      // Reconnect quickly after a broker restart, as the consumers do.
      'reconnect.backoff.max.ms': 2000,
      // Leaders and the controller as the admin handle knows them come from its metadata, refreshed
      // every 5 min by default: after a broker died, requests kept going to it until then.
      'topic.metadata.refresh.interval.ms': 2000,
      // librdkafka logs every failed connection attempt to stderr; the poller reports outages once.
      log_level: 0,
      // For lab_observer_kafka_requests_total: what the observer costs the brokers.
      'statistics.interval.ms': 5000,
      ...securitySettings(options.security),
    }, { 'event.stats': (e: { message: string }) => this.onStats(e.message) });
  }

  private onStats(json: string): void {
    countRequests(json, this.requests);
  }

  /** Consumer groups (classic and KIP-848) the cluster knows; other group types are left out. */
  async listGroups(): Promise<GroupListing[]> {
    const result = await call<{ groups: { groupId: string; protocolType: string; type: ConsumerGroupTypes }[]; errors: unknown[] }>((cb) =>
      this.client.listGroups({ timeout: this.options.timeoutMs }, cb as never),
    );
    // listGroups asks every broker; one that did not answer would hide its groups.
    if (result.errors.length > 0) throw result.errors[0];
    return result.groups
      .filter((g) => g.protocolType === 'consumer' || g.type === ConsumerGroupTypes.CONSUMER)
      .map((g) => ({ group: g.groupId, protocol: protocolOf(g.type) }));
  }

  /** Descriptions of these groups, with each member's partitions of `topic`. */
  async describeGroups(groups: string[], topic: string): Promise<Omit<RawGroup, 'committed'>[]> {
    if (groups.length === 0) return [];
    const result = await call<{ groups: GroupDescription[] }>((cb) => this.client.describeGroups(groups, { timeout: this.options.timeoutMs }, cb as never));
    const onTopic = (tps: { topic: string; partition: number }[] | undefined) => (tps ?? []).filter((tp) => tp.topic === topic).map((tp) => tp.partition);
    // A group the coordinator could not describe this time (loading after a restart, moving) fails
    // the poll: dropping it from the picture would read as all its members leaving.
    const failed = result.groups.find((g) => g.error);
    if (failed) throw failed.error;
    return result.groups.map((g) => ({
        group: g.groupId,
        state: STATE_NAMES[g.state] ?? String(g.state),
        protocol: protocolOf(g.type),
        assignor: g.partitionAssignor ?? g.protocol ?? '',
        coordinator: g.coordinator ? `${g.coordinator.host}:${g.coordinator.port} (id ${g.coordinator.id})` : '',
        members: g.members.map(
          (m): RawMember => ({
            memberId: m.memberId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            instanceId: m.groupInstanceId || null,
            assigned: onTopic(m.assignment?.topicPartitions),
            target: m.targetAssignment ? onTopic(m.targetAssignment.topicPartitions) : null,
          }),
        ),
      }));
  }

  /** The group's committed offsets on `topic` (partitions it never committed are absent). */
  async committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    const result = await call<{ groupId: string; error?: unknown; partitions: { topic: string; partition: number; offset: number; error?: unknown }[] }[]>((cb) =>
      this.client.listConsumerGroupOffsets([{ groupId: group, partitions: null as never }], { timeout: this.options.timeoutMs }, cb as never),
    );
    const committed = new Map<number, number>();
    for (const r of result) {
      if (r.error) throw r.error;
      for (const p of r.partitions) if (p.topic === topic && !p.error && p.offset >= 0) committed.set(p.partition, p.offset);
    }
    return committed;
  }

  /** The topic's partitions and their log-end offsets; empty if the topic does not exist yet. */
  async topicOffsets(topic: string): Promise<TopicOffsets> {
    const client = await this.metadataClient();
    const md = await call<Metadata>((cb) => client.getMetadata({ topic, timeout: this.options.timeoutMs }, cb as never));
    this.metadataAnsweredAt = Date.now();
    // No partitions: the load generator has not created the topic yet (a lab not started, not an outage).
    const described: DescribedPartition[] = (md.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => ({
      partition: p.id,
      leader: p.leader >= 0 ? { id: p.leader } : null,
      replicas: p.replicas.map((id) => ({ id })),
      isr: p.isrs.map((id) => ({ id })),
    }));
    const replicas: PartitionReplicas[] = replicasOf(described);
    const partitions = replicas.map((p) => p.partition);
    const end = new Map<number, number>();
    if (partitions.length === 0) return { partitions, end, replicas };
    const sentAt = Date.now();
    const latest = await call<{ partition: number; offset: number; error?: unknown }[]>((cb) =>
      this.client.listOffsets(
        partitions.map((partition) => ({ topic, partition, offset: OffsetSpec.LATEST })),
        { timeout: this.options.timeoutMs },
        cb as never,
      ),
    );
    // The answer reaches JavaScript late on a busy machine (0.8 s once in bench:lagtime); the
    // middle of the request halves what that delay does to lag in seconds.
    const readAt = (sentAt + Date.now()) / 2;
    for (const l of latest) if (!l.error && l.offset >= 0) end.set(l.partition, l.offset);
    return { partitions, end, replicas, readAt };
  }

  private metadataClient(): Promise<Producer> {
    this.metadata ??= new Promise<Producer>((resolve, reject) => {
      // Never produces; a producer is the lightest librdkafka handle that answers getMetadata.
      const p = new Producer({ 'bootstrap.servers': this.options.brokers, 'client.id': `${this.options.clientId}-metadata`, 'allow.auto.create.topics': false, 'reconnect.backoff.max.ms': 2000, log_level: 0, ...securitySettings(this.options.security) });
      p.connect({ timeout: this.options.timeoutMs }, (err) => {
        if (!err) return resolve(p);
        // The next poll tries again with a new handle.
        this.metadata = null;
        p.disconnect();
        reject(err);
      });
    });
    return this.metadata;
  }

  close(): void {
    void this.metadata?.then((p) => p.disconnect(), () => undefined);
    this.client.disconnect();
  }
}
