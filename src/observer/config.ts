import { ConfigError, groupIdList, intInRange, parseEnv } from '../shared/env';
import { SECRET_VARIABLES, securityFromEnv, withoutSecrets, type KafkaSecurity } from '../shared/kafka-security';
import { PROGRAM_SPECS } from '../shared/program-env';
import { type LogLevel } from '../shared/logger';

export interface ObserverConfig {
  brokers: string;
  topic: string;
  /** Groups to describe; empty: every consumer group with members or committed offsets on the topic. */
  groups: string[];
  intervalMs: number;
  timeoutMs: number;
  /** How long the last view is still exported after polls start failing. */
  staleAfterMs: number;
  metricsPort: number;
  logLevel: LogLevel;
  security: KafkaSecurity;
}

const specs = {
  OBSERVER_GROUPS: groupIdList({ default: [] as string[] }),
  // Once a second: a member that joined is on the dashboard within a poll plus a scrape.
  OBSERVER_INTERVAL_MS: intInRange(200, 60_000)({ default: 1000 }),
  OBSERVER_TIMEOUT_MS: intInRange(100, 60_000)({ default: 3000 }),
  OBSERVER_STALE_AFTER_MS: intInRange(0, 3_600_000)({ default: 10_000 }),
  ...PROGRAM_SPECS,
};

export function loadObserverConfig(env: NodeJS.ProcessEnv): ObserverConfig {
  const e = parseEnv(env, specs, SECRET_VARIABLES);
  const problems: string[] = [];
  const security = securityFromEnv(e, problems);
  if (e.OBSERVER_TIMEOUT_MS > Math.max(e.OBSERVER_INTERVAL_MS * 10, 10_000)) {
    problems.push(`OBSERVER_TIMEOUT_MS=${e.OBSERVER_TIMEOUT_MS} is not accepted: expected at most ten polls (10 x OBSERVER_INTERVAL_MS) or 10000`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    brokers: e.KAFKA_BROKERS,
    topic: e.KAFKA_TOPIC,
    groups: e.OBSERVER_GROUPS,
    intervalMs: e.OBSERVER_INTERVAL_MS,
    timeoutMs: e.OBSERVER_TIMEOUT_MS,
    staleAfterMs: e.OBSERVER_STALE_AFTER_MS,
    metricsPort: e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    security,
  };
}

export const describeObserverConfig = (c: ObserverConfig): Record<string, unknown> => withoutSecrets(c);
