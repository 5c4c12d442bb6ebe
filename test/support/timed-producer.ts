import Kafka, { type Producer } from 'node-rdkafka';
import { randomBytes } from 'node:crypto';
import { brokers } from './kafka';

/**
 * The truth for lag in seconds: a producer of load-generator-shaped messages that remembers, from
 * its delivery reports, when it produced the record at each offset of each partition (the
 * `producedAt` the message and its timestamp carry, as the load generator stamps them).
 */
export class TimedProducer {
  private readonly producer: Producer;
  /** producedAt per partition, indexed by offset (the topic is new: offsets start at 0). */
  private readonly times = new Map<number, number[]>();
  private readonly seqs: number[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private rate = 0;
  private owed = 0;
  private lastTick = 0;
  readonly run = randomBytes(4).toString('hex');
  failures = 0;

  private constructor(
    private readonly topic: string,
    private readonly partitions: number,
    bootstrap: string,
  ) {
    this.producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap, 'linger.ms': 5, dr_cb: true, dr_msg_cb: false });
    this.producer.on('delivery-report', (err, report: { partition: number; offset: number; opaque?: unknown }) => {
      if (err) {
        this.failures++;
        return;
      }
      let t = this.times.get(report.partition);
      if (!t) this.times.set(report.partition, (t = []));
      t[report.offset] = report.opaque as number;
    });
    this.producer.setPollInterval(10);
  }

  static async connect(topic: string, partitions: number, bootstrap: string = brokers()): Promise<TimedProducer> {
    const p = new TimedProducer(topic, partitions, bootstrap);
    await new Promise<void>((resolve, reject) => p.producer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
    return p;
  }

  /** Messages per second over all partitions, round-robin; 0 stops producing. */
  setRate(perSecond: number): void {
    this.rate = perSecond;
    this.owed = 0;
    this.lastTick = Date.now();
    if (perSecond > 0 && !this.timer) this.tick();
  }

  /** `count` messages at once, spread over the partitions: a burst. */
  burst(count: number): void {
    for (let i = 0; i < count; i++) this.produceOne();
  }

  private tick(): void {
    const now = Date.now();
    this.owed += ((now - this.lastTick) * this.rate) / 1000;
    this.lastTick = now;
    while (this.owed >= 1) {
      this.owed -= 1;
      this.produceOne();
    }
    this.timer = this.rate > 0 ? setTimeout(() => this.tick(), 10) : null;
  }

  private produceOne(): void {
    const p = this.seq % this.partitions;
    const partitionSeq = (this.seqs[p] ?? 0) + 1;
    this.seqs[p] = partitionSeq;
    this.seq++;
    const producedAt = Date.now();
    const body = { seq: this.seq, partitionSeq, key: `p${p}-${partitionSeq}`, run: this.run, producedAt };
    this.producer.produce(this.topic, p, Buffer.from(JSON.stringify(body)), body.key, producedAt, producedAt);
  }

  /** When the record at `offset` of `partition` was produced, or null if it is not known (yet). */
  producedAt(partition: number, offset: number): number | null {
    return this.times.get(partition)?.[offset] ?? null;
  }

  /**
   * The true lag in seconds at `at` of a group whose committed offset is `committed` on a log
   * ending at `end`: how old the record at the committed offset is, 0 when there is none.
   */
  truth(partition: number, committed: number, end: number, at: number): number | null {
    if (committed >= end) return 0;
    const produced = this.producedAt(partition, committed);
    return produced === null ? null : Math.max(0, (at - produced) / 1000);
  }

  async close(): Promise<void> {
    this.setRate(0);
    if (this.timer) clearTimeout(this.timer);
    await new Promise<void>((resolve) => this.producer.flush(10_000, () => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
  }
}
