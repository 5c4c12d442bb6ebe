// Broker, topics and pre-filling for the throughput benchmark (node-rdkafka from the project).
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { now, sleep } from './util.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(ROOT, 'package.json'));
export const Kafka = require('node-rdkafka');

/** The broker to use: $KAFKA_BROKERS, or one started with the project's test harness. */
export async function useBroker(log) {
  if (process.env.KAFKA_BROKERS) return { bootstrap: process.env.KAFKA_BROKERS, own: false, stop: async () => {} };
  const harness = path.join(ROOT, 'dist/test/support/broker.js');
  if (!existsSync(harness)) throw new Error(`${harness} is missing: run \`npx tsc -p .\` (npm run build) first`);
  log('starting a Kafka 4.3.1 broker with dist/test/support/broker.js ...');
  const t0 = now();
  const broker = await require(harness).startBroker();
  log(`broker up at ${broker.bootstrap} in ${((now() - t0) / 1000).toFixed(1)} s (log: ${broker.logFile})`);
  return { bootstrap: broker.bootstrap, own: true, logFile: broker.logFile, stop: () => broker.stop() };
}

function admin(bootstrap) {
  return Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap });
}

export async function createTopic(bootstrap, topic, partitions) {
  const a = admin(bootstrap);
  try {
    await new Promise((resolve, reject) =>
      a.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 60_000, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    a.disconnect();
  }
}

export async function deleteTopic(bootstrap, topic) {
  const a = admin(bootstrap);
  try {
    await new Promise((resolve) => a.deleteTopic(topic, 30_000, () => resolve()));
  } finally {
    a.disconnect();
  }
}

/**
 * A load-generator message padded to `size` bytes with an extra "pad" field. When the fields alone
 * are already longer than `size` minus the pad field's overhead (near 100 bytes with 7-digit
 * sequence numbers), the message is left unpadded, slightly under or over the target.
 */
export function labMessage(size, seq, partition, partitionSeq, run, producedAt) {
  const key = `p${partition}-${partitionSeq}`;
  const base = `{"seq":${seq},"partitionSeq":${partitionSeq},"key":"${key}","run":"${run}","producedAt":${producedAt}`;
  const padLen = size - base.length - ',"pad":""}'.length;
  const value = padLen >= 0 ? `${base},"pad":"${'x'.repeat(padLen)}"}` : `${base}}`;
  return { key, value };
}

/**
 * Produces `count` messages round-robin over `partitions`, each partition with its own sequence
 * 1, 2, 3, ... as the load generator does. Batched (linger 20 ms, 1 MB batches, no compression).
 * Resolves once all are acknowledged; checks the end offsets add up.
 */
export async function fillTopic(bootstrap, topic, partitions, count, size) {
  const run = randomBytes(4).toString('hex');
  const producer = new Kafka.Producer({
    'bootstrap.servers': bootstrap,
    // Without idempotence a retried batch can be written twice; the consumer would then rightly
    // count redeliveries that are the producer's doing.
    'enable.idempotence': true,
    'linger.ms': 20,
    'batch.size': 1_000_000,
    'batch.num.messages': 100_000,
    'queue.buffering.max.messages': 500_000,
    'queue.buffering.max.kbytes': 1_048_576,
    'compression.type': 'none',
    'message.max.bytes': 4_000_000,
    dr_cb: true,
  });
  let acked = 0;
  let failed = 0;
  let firstError = null;
  producer.on('delivery-report', (err) => {
    if (err) {
      failed++;
      firstError ??= err;
    } else acked++;
  });
  producer.setPollInterval(20);
  await new Promise((resolve, reject) => producer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
  const t0 = now();
  const seqs = new Array(partitions).fill(0);
  let bytes = 0;
  for (let seq = 1; seq <= count; seq++) {
    const p = (seq - 1) % partitions;
    const partitionSeq = ++seqs[p];
    const { key, value } = labMessage(size, seq, p, partitionSeq, run, Date.now());
    const buf = Buffer.from(value);
    bytes += buf.length;
    for (;;) {
      try {
        producer.produce(topic, p, buf, key);
        break;
      } catch (err) {
        if (err.code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        await sleep(5);
      }
    }
  }
  await new Promise((resolve, reject) => producer.flush(120_000, (err) => (err ? reject(err) : resolve())));
  while (acked + failed < count && now() - t0 < 180_000) await sleep(20);
  const seconds = (now() - t0) / 1000;
  let total = 0;
  for (let p = 0; p < partitions; p++) {
    const w = await new Promise((resolve, reject) => producer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o))));
    total += w.highOffset - w.lowOffset;
  }
  await new Promise((resolve) => producer.disconnect(() => resolve()));
  if (failed > 0) throw new Error(`${failed} messages not acknowledged while filling ${topic}: ${firstError?.message}`);
  if (total !== count) throw new Error(`${topic} holds ${total} messages after filling, expected ${count}`);
  return { run, seconds, bytes, avgBytes: bytes / count, messagesPerSecond: count / seconds };
}
