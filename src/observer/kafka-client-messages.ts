import type { GroupView } from './group-view';

/**
 * What crosses the boundary between the observer (HTTP, metrics, the last view) and its Kafka
 * client process (BrokerAdmin and the polling). Structured-clone serialisation (`advanced`), so
 * the views keep their Maps and nulls.
 */

/** Kafka client process -> observer: the outcome of one poll. */
export type KafkaClientMessage =
  | { type: 'polled'; views: GroupView[]; durationSeconds: number; requests: [string, number][] }
  | { type: 'poll-failed'; error: { code?: number; name?: string; message: string }; durationSeconds: number; requests: [string, number][] };

/** Observer -> Kafka client process. */
export type ObserverMessage = { type: 'stop' };
