import Kafka from 'node-rdkafka';

/** How node-rdkafka's consume(n) hands a batch over (docs/patches.md). */
export type ConsumeHandoff = 'columnar' | 'objects';
export const CONSUME_HANDOFFS: readonly ConsumeHandoff[] = ['columnar', 'objects'];

export interface HandoffCheck {
  handoff: ConsumeHandoff;
  /** Why the patched hand-off is not in use; absent when it is. */
  problem?: string;
}

/**
 * Which hand-off consume(n) will really use. Both halves of the patch must be loaded: our
 * lib/kafka-consumer.js asks for columns with an argument that a published C++ addon silently
 * ignores (about 3x slower, nothing fails), so the JavaScript alone proves nothing; the patched
 * addon lists its hand-offs on the native KafkaConsumer.
 */
export function checkConsumeHandoff(
  kafkaConsumer: { prototype: object } = Kafka.KafkaConsumer,
  binding: { KafkaConsumer?: { consumeHandoffs?: unknown } } = require('node-rdkafka/librdkafka'),
): HandoffCheck {
  if (typeof (kafkaConsumer.prototype as { setConsumeHandoff?: unknown }).setConsumeHandoff !== 'function') {
    return { handoff: 'objects', problem: "node-rdkafka's JavaScript is not our patched build (no KafkaConsumer#setConsumeHandoff)" };
  }
  const native = binding.KafkaConsumer?.consumeHandoffs;
  if (!Array.isArray(native) || !native.includes('columnar')) {
    return { handoff: 'objects', problem: "node-rdkafka's loaded C++ addon is not our patched build (no KafkaConsumer.consumeHandoffs)" };
  }
  return { handoff: 'columnar' };
}
