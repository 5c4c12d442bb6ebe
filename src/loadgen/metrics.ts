import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class LoadgenMetrics {
  readonly registry = new Registry();
  readonly targetRate: Gauge<string>;
  readonly partitions: Gauge<string>;
  readonly deliveryErrors: Counter<'topic'>;
  private readonly messages: Counter<'topic' | 'partition'>;
  private readonly children = new Map<number, { inc(): void }>();

  constructor(private readonly topic: string) {
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.targetRate = new Gauge({ name: 'lab_producer_target_rate', help: 'Messages per second the load generator aims for.', registers: r });
    this.partitions = new Gauge({ name: 'lab_producer_topic_partitions', help: 'Partitions of the topic the load generator writes to.', registers: r });
    this.messages = new Counter({ name: 'lab_producer_messages_total', help: 'Messages acknowledged by Kafka, per partition.', labelNames: ['topic', 'partition'], registers: r });
    this.deliveryErrors = new Counter({ name: 'lab_producer_delivery_errors_total', help: 'Messages Kafka did not acknowledge after all retries: each one is a gap consumers will see.', labelNames: ['topic'], registers: r });
    this.deliveryErrors.inc({ topic }, 0);
  }

  delivered(partition: number): void {
    let c = this.children.get(partition);
    if (!c) {
      c = this.messages.labels({ topic: this.topic, partition: String(partition) });
      this.children.set(partition, c);
    }
    c.inc();
  }
}
