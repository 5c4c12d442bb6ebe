import Kafka from 'node-rdkafka';
import { kafkaErrorInterpreter } from './kafka-error-description';

/** librdkafka's errors as node-rdkafka (the consumers, the load generator) reports them. */
export const { isFatalError, describeKafkaError } = kafkaErrorInterpreter(Kafka.CODES.ERRORS as Record<string, number>);
