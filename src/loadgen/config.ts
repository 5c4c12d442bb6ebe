import { ConfigError, brokerList, intInRange, nonEmptyText, oneOf, parseEnv } from '../shared/env';
import { SECRET_VARIABLES, SECURITY_SPECS, securityFromEnv, withoutSecrets, type KafkaSecurity } from '../shared/kafka-security';
import { LOG_LEVELS, type LogLevel } from '../shared/logger';

export const MAX_RATE = 1_000_000;

export interface LoadgenConfig {
  brokers: string;
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Messages per second; 0 pauses production. */
  rate: number;
  metricsPort: number;
  logLevel: LogLevel;
  security: KafkaSecurity;
}

const specs = {
  KAFKA_BROKERS: brokerList({ default: 'localhost:9092' }),
  KAFKA_TOPIC: nonEmptyText({ default: 'lab-events' }),
  TOPIC_PARTITIONS: intInRange(1, 10_000)({ default: 12 }),
  TOPIC_REPLICATION_FACTOR: intInRange(1, 32)({ default: 1 }),
  RATE: intInRange(0, MAX_RATE)({ default: 10 }),
  METRICS_PORT: intInRange(1, 65_535)({ default: 8080 }),
  LOG_LEVEL: oneOf(LOG_LEVELS)({ default: 'info' }),
  ...SECURITY_SPECS,
};

export function loadLoadgenConfig(env: NodeJS.ProcessEnv): LoadgenConfig {
  const e = parseEnv(env, specs, SECRET_VARIABLES);
  const problems: string[] = [];
  const security = securityFromEnv(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    brokers: e.KAFKA_BROKERS,
    topic: e.KAFKA_TOPIC,
    partitions: e.TOPIC_PARTITIONS,
    replicationFactor: e.TOPIC_REPLICATION_FACTOR,
    rate: e.RATE,
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

/** Parses a rate from an HTTP body: `500`, `rate=500` or `{"rate": 500}`. */
export function parseRate(body: string): number {
  const text = bodyValue(body, 'rate');
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) > MAX_RATE) {
    throw new RangeError(`rate must be a number of messages per second from 0 to ${MAX_RATE}, got ${JSON.stringify(body.trim())}`);
  }
  return Number(text);
}

/** Parses a partition count from an HTTP body: `16`, `partitions=16` or `{"partitions": 16}`. */
export function parsePartitions(body: string, current: number): number {
  const text = bodyValue(body, 'partitions');
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= current || n > 10_000) {
    throw new RangeError(`partitions must be a whole number above the current ${current} (Kafka cannot remove partitions) and at most 10000, got ${JSON.stringify(body.trim())}`);
  }
  return n;
}
