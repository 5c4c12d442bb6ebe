import type { ConsumerGlobalConfig, ConsumerTopicConfig } from 'node-rdkafka';
import type { ConsumerConfig } from './config';
import { securitySettings } from '../shared/kafka-security';

/**
 * Translates our configuration into librdkafka's. Pure, so the protocol rules can be tested
 * without a broker: under group.protocol=consumer (KIP-848) the assignment strategy and the
 * session/heartbeat timing belong to the broker and must not be sent.
 */
export function consumerSettings(c: ConsumerConfig, clientId: string): { global: ConsumerGlobalConfig; topic: ConsumerTopicConfig } {
  const global: Record<string, unknown> = {
    'bootstrap.servers': c.brokers,
    'client.id': clientId,
    'group.id': c.groupId,
    'group.protocol': c.groupProtocol,
    // At-least-once: the offset of a message is stored only after it was processed; the
    // background commit then sends only stored offsets. Revocations commit explicitly.
    'enable.auto.commit': true,
    'enable.auto.offset.store': false,
    'auto.commit.interval.ms': c.autoCommitIntervalMs,
    'max.poll.interval.ms': c.maxPollIntervalMs,
    'statistics.interval.ms': c.statsIntervalMs,
    // New partitions (added by the load generator while running) should trigger a rebalance
    // within seconds in a lab, not the default five minutes.
    'topic.metadata.refresh.interval.ms': 10_000,
    'allow.auto.create.topics': false,
    // Reconnect quickly after a broker restart; the lab restarts brokers.
    'reconnect.backoff.max.ms': 2000,
    'queued.max.messages.kbytes': c.prefetchKbytes,
    'fetch.queue.backoff.ms': c.fetchQueueBackoffMs,
    ...securitySettings(c.security),
  };
  if (c.staticMembership) {
    // Stable per replica: compose names replicas lab-consumer-1, -2, ... and a restarted
    // container keeps its name, so it comes back as the same member.
    global['group.instance.id'] = groupInstanceId(clientId);
  }
  if (c.groupProtocol === 'classic') {
    global['partition.assignment.strategy'] = c.assignmentStrategy;
    global['session.timeout.ms'] = c.sessionTimeoutMs;
    global['heartbeat.interval.ms'] = c.heartbeatIntervalMs;
  }
  return {
    global: global as ConsumerGlobalConfig,
    topic: { 'auto.offset.reset': c.autoOffsetReset },
  };
}

/**
 * The replica name as a group instance id. Kafka accepts only ASCII letters, digits, '.', '_' and
 * '-' there (as in topic names) and refuses the join otherwise: Swarm's "consumer.3@laptop-bob"
 * becomes "consumer.3_laptop-bob".
 */
export function groupInstanceId(replicaName: string): string {
  return replicaName.replace(/[^a-zA-Z0-9._-]/g, '_');
}
