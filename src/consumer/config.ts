import { SECRET_VARIABLES, securityFromEnv, withoutSecrets, type KafkaSecurity } from '../shared/kafka-security';
import { PROGRAM_SPECS } from '../shared/program-env';
import { type LogLevel } from '../shared/logger';
import { ConfigError, anyText, intInRange, nonEmptyText, oneOf, parseEnv } from '../shared/env';
import { LAB_PROTOCOLS, chooseProtocol, type LabProtocol } from './lab-protocol';

export const ASSIGNMENT_STRATEGIES = ['range', 'roundrobin', 'cooperative-sticky'] as const;
export const GROUP_PROTOCOLS = ['classic', 'consumer'] as const;
export const OFFSET_RESETS = ['earliest', 'latest'] as const;

export type AssignmentStrategy = (typeof ASSIGNMENT_STRATEGIES)[number];
export type GroupProtocol = (typeof GROUP_PROTOCOLS)[number];

export interface ConsumerConfig {
  brokers: string;
  topic: string;
  groupId: string;
  /** LAB_PROTOCOL when set; the three settings below then follow from it. */
  labProtocol: LabProtocol | null;
  groupProtocol: GroupProtocol;
  /** null under group.protocol=consumer, where the broker assigns. */
  assignmentStrategy: AssignmentStrategy | null;
  /** True when revocations and assignments are incremental (cooperative-sticky or KIP-848). */
  incremental: boolean;
  sessionTimeoutMs: number | null;
  heartbeatIntervalMs: number | null;
  maxPollIntervalMs: number;
  autoCommitIntervalMs: number;
  autoOffsetReset: (typeof OFFSET_RESETS)[number];
  statsIntervalMs: number;
  processingMs: number;
  batchSize: number;
  /** librdkafka queued.max.messages.kbytes: the prefetch buffer, the largest part of our memory at full speed. */
  prefetchKbytes: number;
  /** librdkafka fetch.queue.backoff.ms: how soon fetching resumes once a full prefetch buffer has room. */
  fetchQueueBackoffMs: number;
  consumerName: string | null;
  /** KIP-345: join with group.instance.id = the replica name, so a quick restart keeps the partitions. */
  staticMembership: boolean;
  /** Per-message counters labelled by partition (off: by topic only, to measure their cost). */
  partitionMetrics: boolean;
  metricsPort: number;
  logLevel: LogLevel;
  security: KafkaSecurity;
}

// Defaults live here and only here; docs/configuration.md's table mirrors this list.
const specs = {
  KAFKA_GROUP_ID: nonEmptyText({ default: 'lab-group' }),
  // One setting for the lab's protocol; the three below it stay for programs configured before it.
  LAB_PROTOCOL: oneOf(LAB_PROTOCOLS)({ default: undefined }),
  GROUP_PROTOCOL: oneOf(GROUP_PROTOCOLS)({ default: 'classic' }),
  ASSIGNMENT_STRATEGY: oneOf(ASSIGNMENT_STRATEGIES)({ default: 'cooperative-sticky' }),
  SESSION_TIMEOUT_MS: intInRange(1000, 3_600_000)({ default: 10_000 }),
  // A 1 s heartbeat: the others learn of a leaving member within a second, not three.
  HEARTBEAT_INTERVAL_MS: intInRange(100, 3_600_000)({ default: 1000 }),
  MAX_POLL_INTERVAL_MS: intInRange(1000, 86_400_000)({ default: 300_000 }),
  AUTO_COMMIT_INTERVAL_MS: intInRange(100, 3_600_000)({ default: 1000 }),
  AUTO_OFFSET_RESET: oneOf(OFFSET_RESETS)({ default: 'earliest' }),
  STATS_INTERVAL_MS: intInRange(100, 3_600_000)({ default: 1000 }),
  PROCESSING_MS: intInRange(0, 60_000)({ default: 10 }),
  BATCH_SIZE: intInRange(1, 100_000)({ default: 2000 }),
  // librdkafka's defaults (64 MB, and 1 s before fetching again once that is full) cost memory and
  // leave the consumer waiting on an empty queue for up to a second whenever it drains a backlog:
  // see docs/benchmarks.md, "Throughput". 4 MB is a fifth of a second of reading at full speed.
  QUEUED_MAX_MESSAGES_KBYTES: intInRange(1024, 2_097_151)({ default: 4096 }),
  FETCH_QUEUE_BACKOFF_MS: intInRange(0, 300_000)({ default: 10 }),
  CONSUMER_NAME: anyText({ default: '' }),
  STATIC_MEMBERSHIP: oneOf(['on', 'off'] as const)({ default: 'off' }),
  PARTITION_METRICS: oneOf(['on', 'off'] as const)({ default: 'on' }),
  ...PROGRAM_SPECS,
};

const CLASSIC_ONLY = ['ASSIGNMENT_STRATEGY', 'SESSION_TIMEOUT_MS', 'HEARTBEAT_INTERVAL_MS'] as const;

export function loadConsumerConfig(env: NodeJS.ProcessEnv): ConsumerConfig {
  const e = parseEnv(env, specs, SECRET_VARIABLES);
  const problems: string[] = [];
  const { choice, contradicted } = chooseProtocol(
    e.LAB_PROTOCOL ?? null,
    {
      groupProtocol: e.GROUP_PROTOCOL,
      assignmentStrategy: e.ASSIGNMENT_STRATEGY,
      staticMembership: e.STATIC_MEMBERSHIP === 'on',
      set: { GROUP_PROTOCOL: env.GROUP_PROTOCOL !== undefined, ASSIGNMENT_STRATEGY: env.ASSIGNMENT_STRATEGY !== undefined, STATIC_MEMBERSHIP: env.STATIC_MEMBERSHIP !== undefined },
    },
    problems,
  );
  const consumerProtocol = choice.groupProtocol === 'consumer';

  if (consumerProtocol) {
    // KIP-848 moves assignment and liveness to the broker; librdkafka rejects these settings.
    for (const name of CLASSIC_ONLY) {
      if (env[name] !== undefined && !contradicted.has(name)) {
        problems.push(
          `${name}=${JSON.stringify(env[name])} is not accepted with GROUP_PROTOCOL=consumer: the broker assigns partitions ` +
            'and sets session and heartbeat timing (group.consumer.* broker settings); unset it, or use GROUP_PROTOCOL=classic',
        );
      }
    }
  } else if (e.HEARTBEAT_INTERVAL_MS >= e.SESSION_TIMEOUT_MS) {
    problems.push(
      `HEARTBEAT_INTERVAL_MS=${e.HEARTBEAT_INTERVAL_MS} is not accepted: expected less than SESSION_TIMEOUT_MS=${e.SESSION_TIMEOUT_MS} ` +
        '(a third of it is usual)',
    );
  }
  const security = securityFromEnv(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    brokers: e.KAFKA_BROKERS,
    topic: e.KAFKA_TOPIC,
    groupId: e.KAFKA_GROUP_ID,
    labProtocol: e.LAB_PROTOCOL ?? null,
    groupProtocol: choice.groupProtocol,
    assignmentStrategy: choice.assignmentStrategy,
    incremental: consumerProtocol || choice.assignmentStrategy === 'cooperative-sticky',
    sessionTimeoutMs: consumerProtocol ? null : e.SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: consumerProtocol ? null : e.HEARTBEAT_INTERVAL_MS,
    maxPollIntervalMs: e.MAX_POLL_INTERVAL_MS,
    autoCommitIntervalMs: e.AUTO_COMMIT_INTERVAL_MS,
    autoOffsetReset: e.AUTO_OFFSET_RESET,
    statsIntervalMs: e.STATS_INTERVAL_MS,
    processingMs: e.PROCESSING_MS,
    batchSize: e.BATCH_SIZE,
    prefetchKbytes: e.QUEUED_MAX_MESSAGES_KBYTES,
    fetchQueueBackoffMs: e.FETCH_QUEUE_BACKOFF_MS,
    consumerName: e.CONSUMER_NAME.trim() === '' ? null : e.CONSUMER_NAME.trim(),
    staticMembership: choice.staticMembership,
    partitionMetrics: e.PARTITION_METRICS === 'on',
    metricsPort: e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    security,
  };
}

/** What the start-up log line shows: everything but the secret. */
export const describeConsumerConfig = (c: ConsumerConfig): Record<string, unknown> => withoutSecrets(c);
