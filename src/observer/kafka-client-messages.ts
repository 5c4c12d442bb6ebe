import type { GroupView } from './group-view';
import type { PartitionReplicas } from './partition-replicas';
import type { LogEnds, RecordStamp } from './poller';

/**
 * What crosses the boundary between the observer (HTTP, metrics, the last view) and its Kafka
 * client process (BrokerAdmin and the polling). Structured-clone serialisation (`advanced`), so
 * the views keep their Maps and nulls.
 */

/** What the Kafka client process has cost so far: CPU (user + system) and resident memory. */
export interface ProcessUsage {
  cpuSeconds: number;
  residentBytes: number;
}

/** Kafka client process -> observer: the outcome of one poll, with the process's running totals. */
export type KafkaClientMessage =
  | { type: 'polled'; views: GroupView[]; replicas: PartitionReplicas[]; ends: LogEnds; stamps: RecordStamp[]; durationSeconds: number; requests: [string, number][]; usage: ProcessUsage }
  | { type: 'poll-failed'; error: { code?: number; name?: string; message: string }; durationSeconds: number; requests: [string, number][]; usage: ProcessUsage };

/** Observer -> Kafka client process. */
export type ObserverMessage = { type: 'stop' };
