import Kafka, { type Producer } from 'node-rdkafka';
import { randomBytes } from 'node:crypto';

/** Test-side Kafka helpers: topics, producing messages with known sequences, reading commits. */
export const brokers = (): string => {
  const b = process.env.KAFKA_BROKERS;
  if (!b) throw new Error('KAFKA_BROKERS is not set: run the integration tests through `npm test`, which starts a broker');
  return b;
};

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function createTopic(topic: string, partitions: number, bootstrap: string = brokers(), replicationFactor = 1): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: replicationFactor }, 15_000, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    admin.disconnect();
  }
}

/**
 * Produces load-generator-shaped messages with its own per-partition sequences, so a test knows
 * exactly which (partition, sequence) pairs exist and can check each was processed.
 */
export class LabProducer {
  readonly run = randomBytes(4).toString('hex');
  private readonly producer: Producer;
  private readonly seqs: number[] = [];
  private seq = 0;
  private failures: string[] = [];

  private constructor(
    private readonly topic: string,
    bootstrap: string,
  ) {
    this.producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap, 'enable.idempotence': true, 'linger.ms': 1, 'message.max.bytes': 4_000_000, dr_cb: true });
    this.producer.on('delivery-report', (err) => {
      if (err) this.failures.push(err.message);
    });
    this.producer.setPollInterval(20);
  }

  static async connect(topic: string, bootstrap: string = brokers()): Promise<LabProducer> {
    const p = new LabProducer(topic, bootstrap);
    await new Promise<void>((resolve, reject) => p.producer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
    return p;
  }

  /** `count` messages per partition, sequences continuing from earlier calls. */
  async produce(partitions: number, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      for (let p = 0; p < partitions; p++) {
        const partitionSeq = (this.seqs[p] ?? 0) + 1;
        this.seqs[p] = partitionSeq;
        this.seq += 1;
        const body = { seq: this.seq, partitionSeq, key: `p${p}-${partitionSeq}`, run: this.run, producedAt: Date.now() };
        this.producer.produce(this.topic, p, Buffer.from(JSON.stringify(body)), body.key);
      }
    }
    await this.flush();
  }

  async produceRaw(partition: number, value: Buffer | null): Promise<void> {
    this.producer.produce(this.topic, partition, value);
    await this.flush();
  }

  /** Every (partition, partitionSeq) produced so far. */
  produced(): Map<number, number> {
    return new Map(this.seqs.map((n, p) => [p, n]));
  }

  /** Waits until every message is acknowledged; a test must never believe in a message Kafka refused. */
  private async flush(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.producer.flush(15_000, (err) => (err ? reject(err) : resolve())));
    // Delivery reports are served by the poll timer; give the last ones a moment to arrive.
    await new Promise((r) => setTimeout(r, 50));
    if (this.failures.length > 0) throw new Error(`Kafka refused ${this.failures.length} test message(s): ${this.failures[0]}`);
  }

  private closing: Promise<void> | null = null;

  /** Disconnects once; a second call (a test's own and its `t.after` cleanup) waits for the first. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
    return this.closing;
  }
}

/** The group's committed offsets, read without joining the group. */
export async function committedOffsets(group: string, topic: string, partitions: number): Promise<Map<number, number>> {
  const c = new Kafka.KafkaConsumer({ 'bootstrap.servers': brokers(), 'group.id': group, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => c.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const res = await new Promise<{ partition: number; offset?: number }[]>((resolve, reject) =>
      c.committed(tps, 10_000, (err, r) => (err ? reject(err) : resolve(r))),
    );
    return new Map(res.map((r) => [r.partition, r.offset ?? -1]));
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
}

export async function endOffsets(topic: string, partitions: number): Promise<Map<number, number>> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': brokers() });
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const out = new Map<number, number>();
    for (let p = 0; p < partitions; p++) {
      const w = await new Promise<{ highOffset: number }>((resolve, reject) =>
        producer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o))),
      );
      out.set(p, w.highOffset);
    }
    return out;
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

/**
 * The latency a bare reader sees: a node-rdkafka consumer in this process, assigned every
 * partition from the end, taking each load-generator message the moment librdkafka has it. On a
 * busy machine this is the floor no consumer can beat, so tests compare against it.
 */
export class LatencyReference {
  private readonly latenciesMs: number[] = [];
  private running = true;
  private loop: Promise<void> = Promise.resolve();
  private constructor(private readonly consumer: Kafka.KafkaConsumer) {}

  static async start(topic: string, partitions: number, bootstrap: string = brokers()): Promise<LatencyReference> {
    const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': uniqueName('reference'), 'enable.auto.commit': false }, {});
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
    const ref = new LatencyReference(consumer);
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: -1 /* librdkafka's OFFSET_END */ })));
    consumer.setDefaultConsumeTimeout(100);
    // One message per call: a call returns the moment a message is there (node-rdkafka's flowing
    // mode would do the same, but its disconnect hangs while it runs).
    ref.loop = (async () => {
      while (ref.running) {
        const got = await new Promise<Kafka.Message[]>((resolve) => consumer.consume(1, (err, ms) => resolve(err ? [] : ms)));
        for (const m of got) {
          const producedAt = Number(/"producedAt":(\d+)/.exec(m.value?.toString('utf8') ?? '')?.[1]);
          if (producedAt > 0) ref.latenciesMs.push(Date.now() - producedAt);
        }
      }
    })();
    return ref;
  }

  /** Share of the messages after the first `skip` that arrived within `ms` of being produced. */
  within(ms: number, skip: number): { share: number; count: number } {
    const seen = this.latenciesMs.slice(skip);
    return { share: seen.length === 0 ? 0 : seen.filter((l) => l <= ms).length / seen.length, count: seen.length };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}
