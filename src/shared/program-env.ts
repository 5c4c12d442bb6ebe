import { brokerList, intInRange, nonEmptyText, oneOf } from './env';
import { SECURITY_SPECS } from './kafka-security';
import { LOG_LEVELS } from './logger';

/**
 * The variables the consumer, the load generator and the observer read alike: where Kafka is, the
 * lab's topic, the port of /metrics and the probes, how much to log, and how to authenticate.
 * Written once so that a default or an accepted range cannot drift between the three programs.
 */
export const PROGRAM_SPECS = {
  KAFKA_BROKERS: brokerList({ default: 'localhost:9092', desc: 'bootstrap servers' }),
  KAFKA_TOPIC: nonEmptyText({ default: 'lab-events' }),
  METRICS_PORT: intInRange(1, 65_535)({ default: 8080 }),
  LOG_LEVEL: oneOf(LOG_LEVELS)({ default: 'info' }),
  ...SECURITY_SPECS,
};
