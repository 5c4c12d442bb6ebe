import Kafka, { type IAdminClient, type Producer } from 'node-rdkafka';
import type { LoadgenConfig } from './config';
import { securitySettings } from '../shared/kafka-security';

const ADMIN_TIMEOUT_MS = 15_000;

export type EnsureOutcome =
  | { kind: 'created'; partitions: number }
  | { kind: 'exists'; partitions: number }
  | { kind: 'exists-with-fewer'; partitions: number; wanted: number };

/** Creating the topic and adding partitions to it, through librdkafka's admin API. */
export class TopicAdmin {
  private readonly admin: IAdminClient;

  constructor(
    private readonly config: LoadgenConfig,
    clientId: string,
    private readonly metadataSource: Producer,
  ) {
    this.admin = Kafka.AdminClient.create({
      'bootstrap.servers': config.brokers,
      'client.id': `${clientId}-admin`,
      ...securitySettings(config.security),
    });
  }

  async ensureTopic(): Promise<EnsureOutcome> {
    const { topic, partitions, replicationFactor } = this.config;
    const created = await new Promise<boolean>((resolve, reject) => {
      this.admin.createTopic({ topic, num_partitions: partitions, replication_factor: replicationFactor }, ADMIN_TIMEOUT_MS, (err) => {
        if (!err) resolve(true);
        else if (err.code === Kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS) resolve(false);
        else reject(err);
      });
    });
    // A topic just created can take a moment to show in metadata (the controller has it, the broker
    // answering not yet): wait for it, or the creation would be taken for a failure and retried.
    const actual = created ? await this.partitionsOnceListed() : await this.partitionCount();
    if (created) return { kind: 'created', partitions: actual };
    if (actual < partitions) return { kind: 'exists-with-fewer', partitions: actual, wanted: partitions };
    return { kind: 'exists', partitions: actual };
  }

  /**
   * Grows the topic to `total` partitions and returns once the producer's own metadata lists them:
   * producing to a partition librdkafka does not know yet fails at once.
   */
  async addPartitions(total: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.admin.createPartitions(this.config.topic, total, ADMIN_TIMEOUT_MS, (err) => (err ? reject(err) : resolve()));
    });
    const deadline = Date.now() + ADMIN_TIMEOUT_MS;
    while ((await this.partitionCount()) < total) {
      if (Date.now() > deadline) throw new Error(`topic ${this.config.topic} still shows fewer than ${total} partitions`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async partitionsOnceListed(): Promise<number> {
    const deadline = Date.now() + ADMIN_TIMEOUT_MS;
    for (;;) {
      try {
        return await this.partitionCount();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  partitionCount(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.metadataSource.getMetadata({ topic: this.config.topic, timeout: ADMIN_TIMEOUT_MS }, (err, md) => {
        if (err) return reject(err);
        const t = md.topics.find((x) => x.name === this.config.topic);
        if (!t || t.partitions.length === 0) return reject(new Error(`topic ${this.config.topic} has no partitions in metadata yet`));
        resolve(t.partitions.length);
      });
    });
  }

  close(): void {
    this.admin.disconnect();
  }
}
