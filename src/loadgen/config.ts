import { ConfigError, brokerList, intInRange, parseEnv } from '../shared/env';
import { SECRET_VARIABLES, securityFromEnv, withoutSecrets, type KafkaSecurity } from '../shared/kafka-security';
import { PROGRAM_SPECS } from '../shared/program-env';
import { type LogLevel } from '../shared/logger';

/** The most MAX_RATE may be set to. */
export const RATE_CEILING = 1_000_000;
/**
 * The default bound on the rate. The controls answer anyone who can reach them, and a typo such as
 * 50000 for 500 would fill the instructor's disk and stall every consumer in the room; a dozen
 * replicas at the default 10 ms per message process about 1200 messages/s.
 */
export const DEFAULT_MAX_RATE = 5000;

export interface LoadgenConfig {
  brokers: string;
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Messages per second; 0 pauses production. */
  rate: number;
  maxRate: number;
  /** The broker listener other machines join through, as reached from here; null: not checked. */
  externalListener: string | null;
  metricsPort: number;
  logLevel: LogLevel;
  security: KafkaSecurity;
}

const specs = {
  TOPIC_PARTITIONS: intInRange(1, 10_000)({ default: 12 }),
  TOPIC_REPLICATION_FACTOR: intInRange(1, 32)({ default: 1 }),
  RATE: intInRange(0, RATE_CEILING)({ default: 10 }),
  MAX_RATE: intInRange(1, RATE_CEILING)({ default: DEFAULT_MAX_RATE }),
  EXTERNAL_LISTENER: brokerList({ default: undefined }),
  ...PROGRAM_SPECS,
};

export function loadLoadgenConfig(env: NodeJS.ProcessEnv): LoadgenConfig {
  const e = parseEnv(env, specs, SECRET_VARIABLES);
  const problems: string[] = [];
  if (e.RATE > e.MAX_RATE) problems.push(`RATE=${e.RATE} is not accepted: expected at most MAX_RATE=${e.MAX_RATE} (raise MAX_RATE to allow it)`);
  const security = securityFromEnv(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    brokers: e.KAFKA_BROKERS,
    topic: e.KAFKA_TOPIC,
    partitions: e.TOPIC_PARTITIONS,
    replicationFactor: e.TOPIC_REPLICATION_FACTOR,
    rate: e.RATE,
    maxRate: e.MAX_RATE,
    externalListener: e.EXTERNAL_LISTENER ?? null,
    metricsPort: e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    security,
  };
}

export const describeLoadgenConfig = (c: LoadgenConfig): Record<string, unknown> => withoutSecrets(c);

/** The number in an HTTP body written as `N`, `field=N` or `{"field": N}`; '' if there is none. */
function bodyValue(body: string, field: string): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      return String((JSON.parse(text) as Record<string, unknown>)[field] ?? '');
    } catch {
      return '';
    }
  }
  return text.includes('=') ? text.slice(text.indexOf('=') + 1).trim() : text;
}

/** Parses a rate from an HTTP body: `500`, `rate=500` or `{"rate": 500}`, at most `max`. */
export function parseRate(body: string, max: number): number {
  const text = bodyValue(body, 'rate');
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) > max) {
    throw new RangeError(`rate must be a number from 0 to at most ${max} messages per second (MAX_RATE, set at start), got ${JSON.stringify(body.trim())}`);
  }
  return Number(text);
}

/** A request the current state refuses (HTTP 409), as opposed to one that cannot be read (400). */
export class ConflictError extends Error {}

/** Parses a partition count from an HTTP body: `16`, `partitions=16` or `{"partitions": 16}`. */
export function parsePartitions(body: string, current: number): number {
  const text = bodyValue(body, 'partitions');
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 10_000) {
    throw new RangeError(`partitions must be a whole number above the current ${current}, at most 10000, got ${JSON.stringify(body.trim())}`);
  }
  if (n <= current) {
    throw new ConflictError(`partitions can only be added: the topic has ${current}, asked for ${n} (Kafka cannot remove partitions; recreate the topic to start smaller)`);
  }
  return n;
}
