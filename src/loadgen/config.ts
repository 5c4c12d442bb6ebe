import { ConfigError, anyText, brokerList, intInRange, nonEmptyText, oneOf, parseEnv } from '../shared/env';
import { SASL_MECHANISMS, SECRET_VARIABLES, SECURITY_PROTOCOLS, type KafkaSecurity } from '../shared/kafka-security';
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
  KAFKA_SECURITY_PROTOCOL: oneOf(SECURITY_PROTOCOLS)({ default: 'plaintext' }),
  KAFKA_SASL_MECHANISM: oneOf(SASL_MECHANISMS)({ default: 'PLAIN' }),
  KAFKA_SASL_USERNAME: anyText({ default: '' }),
  KAFKA_SASL_PASSWORD: anyText({ default: '' }),
};

export function loadLoadgenConfig(env: NodeJS.ProcessEnv): LoadgenConfig {
  const e = parseEnv(env, specs, SECRET_VARIABLES);
  if (e.KAFKA_SECURITY_PROTOCOL.startsWith('sasl') && (e.KAFKA_SASL_USERNAME === '' || e.KAFKA_SASL_PASSWORD === '')) {
    throw new ConfigError([`KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SECURITY_PROTOCOL=${e.KAFKA_SECURITY_PROTOCOL}`]);
  }
  return {
    brokers: e.KAFKA_BROKERS,
    topic: e.KAFKA_TOPIC,
    partitions: e.TOPIC_PARTITIONS,
    replicationFactor: e.TOPIC_REPLICATION_FACTOR,
    rate: e.RATE,
    metricsPort: e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    security: {
      protocol: e.KAFKA_SECURITY_PROTOCOL,
      saslMechanism: e.KAFKA_SASL_MECHANISM,
      saslUsername: e.KAFKA_SASL_USERNAME,
      saslPassword: e.KAFKA_SASL_PASSWORD,
    },
  };
}

export function describeLoadgenConfig(c: LoadgenConfig): Record<string, unknown> {
  return { ...c, security: { ...c.security, saslPassword: c.security.saslPassword ? '[redacted]' : '' } };
}

/** Parses a rate from an HTTP body: `500`, `rate=500` or `{"rate": 500}`. */
export function parseRate(body: string): number {
  let text = body.trim();
  if (text.startsWith('{')) {
    try {
      text = String((JSON.parse(text) as { rate?: unknown }).rate ?? '');
    } catch {
      text = '';
    }
  } else if (text.includes('=')) {
    text = text.slice(text.indexOf('=') + 1).trim();
  }
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) > MAX_RATE) {
    throw new RangeError(`rate must be a number of messages per second from 0 to ${MAX_RATE}, got ${JSON.stringify(body.trim())}`);
  }
  return Number(text);
}

/** Parses a partition count from an HTTP body: `16`, `partitions=16` or `{"partitions": 16}`. */
export function parsePartitions(body: string, current: number): number {
  let text = body.trim();
  if (text.startsWith('{')) {
    try {
      text = String((JSON.parse(text) as { partitions?: unknown }).partitions ?? '');
    } catch {
      text = '';
    }
  } else if (text.includes('=')) {
    text = text.slice(text.indexOf('=') + 1).trim();
  }
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= current || n > 10_000) {
    throw new RangeError(`partitions must be a whole number above the current ${current} (Kafka cannot remove partitions) and at most 10000, got ${JSON.stringify(body.trim())}`);
  }
  return n;
}
