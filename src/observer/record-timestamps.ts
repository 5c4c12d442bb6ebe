import { KafkaConsumer, type LibrdKafkaError, type Message } from '@confluentinc/kafka-javascript';
import { securitySettings, type KafkaSecurity } from '../shared/kafka-security';
import { countRequests } from './broker-admin';

export interface RecordTimestampsOptions {
  brokers: string;
  clientId: string;
  security: KafkaSecurity;
  timeoutMs: number;
}

export interface RecordAt {
  partition: number;
  offset: number;
}

/**
 * Reads the timestamp of single records (the one at a group's committed offset) for lag in
 * seconds, where the log-end offsets can only date them to within a poll interval: a burst, the
 * first records after a quiet stretch. A consumer that is assigned partitions at those offsets,
 * never subscribes (so it joins no group and commits nothing), takes the first record of each and
 * is unassigned again, with its prefetch kept to a minimum. Lives in the observer's Kafka client
 * process, beside BrokerAdmin.
 */
export class RecordTimestamps {
  private consumer: Promise<KafkaConsumer> | null = null;
  /** Requests this consumer sent, by Kafka API name (from librdkafka's statistics). */
  readonly requests = new Map<string, number>();

  constructor(private readonly options: RecordTimestampsOptions) {}

  /**
   * The timestamps of these records, ms since the epoch; a record that did not come within the
   * timeout, or is gone (deleted, compacted), or carries no timestamp, is left out.
   */
  async read(topic: string, records: RecordAt[]): Promise<(RecordAt & { timestamp: number })[]> {
    // One offset per partition per read: an assignment names each partition once.
    const wanted = new Map<number, number>();
    for (const r of records) wanted.set(r.partition, Math.min(r.offset, wanted.get(r.partition) ?? Infinity));
    if (wanted.size === 0) return [];
    const c = await this.connected();
    const found: (RecordAt & { timestamp: number })[] = [];
    const assignment = [...wanted].map(([partition, offset]) => ({ topic, partition, offset }));
    c.assign(assignment);
    try {
      const deadline = Date.now() + this.options.timeoutMs;
      while (wanted.size > 0 && Date.now() < deadline) {
        const batch = await new Promise<Message[]>((resolve, reject) => c.consume(100, (err: LibrdKafkaError, ms: Message[]) => (err ? reject(err) : resolve(ms))));
        for (const m of batch) {
          const offset = wanted.get(m.partition);
          if (offset === undefined || m.topic !== topic || m.offset < offset) continue;
          wanted.delete(m.partition);
          // Its first record is all that is wanted: fetch no more of it.
          c.pause([{ topic, partition: m.partition }]);
          if (m.offset === offset && typeof m.timestamp === 'number' && m.timestamp > 0) found.push({ partition: m.partition, offset, timestamp: m.timestamp });
        }
      }
    } finally {
      // librdkafka keeps a partition's pause across assignments: the next read would get nothing.
      c.resume(assignment.map(({ partition }) => ({ topic, partition })));
      c.unassign();
    }
    return found;
  }

  close(): void {
    const consumer = this.consumer;
    this.consumer = null;
    void consumer?.then((c) => c.disconnect()).catch(() => undefined);
  }

  private connected(): Promise<KafkaConsumer> {
    this.consumer ??= new Promise<KafkaConsumer>((resolve, reject) => {
      const c = new KafkaConsumer(
        {
          'bootstrap.servers': this.options.brokers,
          'client.id': `${this.options.clientId}-timestamps`,
          // Required by the client; assign() without subscribe() never joins it.
          'group.id': `${this.options.clientId}-timestamps`,
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          // Fetch no further than needed: one record per partition is all that is read.
          'queued.min.messages': 1,
          'queued.max.messages.kbytes': 1024,
          'fetch.wait.max.ms': 100,
          // Each read starts at once, not after the pause librdkafka takes when its queue is full.
          'fetch.queue.backoff.ms': 0,
          'reconnect.backoff.max.ms': 2000,
          log_level: 0,
          'statistics.interval.ms': 5000,
          ...securitySettings(this.options.security),
        },
        {},
      );
      c.on('event.stats', (e: { message: string }) => countRequests(e.message, this.requests));
      c.setDefaultConsumeTimeout(200);
      c.connect({ timeout: this.options.timeoutMs }, (err) => {
        if (!err) return resolve(c);
        // The next read tries again with a new consumer.
        this.consumer = null;
        reject(err);
      });
    });
    return this.consumer;
  }
}
