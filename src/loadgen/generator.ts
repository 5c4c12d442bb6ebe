import Kafka, { type LibrdKafkaError, type Producer } from 'node-rdkafka';
import type { Logger } from 'pino';
import { Pacer } from './pacer';
import type { LoadgenMetrics } from './metrics';
import { describeKafkaError } from '../shared/kafka-errors';

const TICK_MS = 10;

/**
 * Produces `{seq, partitionSeq, key, run, producedAt}` round-robin over every partition, so each
 * partition carries its own gap-free sequence that consumers can check. `run` changes with each
 * start of the generator, telling consumers that sequences begin again.
 */
export class Generator {
  readonly run = Math.random().toString(16).slice(2, 10);
  private readonly pacer: Pacer;
  private readonly partitionSeq: number[] = [];
  private seq = 0;
  private nextPartition = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastErrorCode: number | null = null;
  private acknowledged = 0;
  private failed = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private partitions: number,
    rate: number,
    private readonly metrics: LoadgenMetrics,
    private readonly log: Logger,
  ) {
    this.pacer = new Pacer(rate, Date.now());
    metrics.targetRate.set(rate);
    metrics.partitions.set(partitions);
    producer.on('delivery-report', (err: LibrdKafkaError | null, report: { partition: number }) => {
      if (err) {
        this.failed++;
        metrics.deliveryErrors.inc({ topic: this.topic });
        if (err.code !== this.lastErrorCode) {
          this.lastErrorCode = err.code;
          this.log.error({ err: describeKafkaError(err), partition: report.partition }, 'delivery failed: consumers will see a sequence gap');
        }
      } else {
        metrics.delivered(report.partition);
        this.acknowledged++;
      }
    });
  }

  get rate(): number {
    return this.pacer.target;
  }

  setRate(rate: number): void {
    this.pacer.setRate(rate, Date.now());
    this.metrics.targetRate.set(rate);
  }

  get partitionCount(): number {
    return this.partitions;
  }

  setPartitionCount(n: number): void {
    this.partitions = n;
    this.metrics.partitions.set(n);
  }

  start(): void {
    const tick = () => {
      this.produceDue();
      this.timer = setTimeout(tick, TICK_MS);
    };
    tick();
  }

  /** Stops producing and waits (up to `timeoutMs`) for every queued message to be delivered. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await new Promise<void>((resolve) => this.producer.flush(timeoutMs, () => resolve()));
  }

  produced(): number {
    return this.seq;
  }

  /** Produced messages Kafka has neither acknowledged nor refused yet. */
  unacknowledged(): number {
    return this.seq - this.acknowledged - this.failed;
  }

  private produceDue(): void {
    const due = this.pacer.due(Date.now());
    for (let i = 0; i < due; i++) {
      const partition = this.nextPartition % this.partitions;
      const partitionSeq = (this.partitionSeq[partition] ?? 0) + 1;
      const body = { seq: this.seq + 1, partitionSeq, key: `p${partition}-${partitionSeq}`, run: this.run, producedAt: Date.now() };
      try {
        this.producer.produce(this.topic, partition, Buffer.from(JSON.stringify(body)), body.key, body.producedAt);
      } catch (err) {
        // Queue full (or the broker is away long enough to fill it): try these again next tick.
        this.pacer.unsent(due - i);
        const code = (err as { code?: number }).code ?? null;
        if (code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL && code !== this.lastErrorCode) {
          this.lastErrorCode = code;
          this.log.error({ err: describeKafkaError(err), partition }, 'produce failed; retrying next tick');
        }
        return;
      }
      this.seq = body.seq;
      this.partitionSeq[partition] = partitionSeq;
      this.nextPartition = partition + 1;
    }
  }
}
