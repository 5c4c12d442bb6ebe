// The KafkaJS 2.2.4 contender, run as a child process by bench/throughput.mjs.
//
// Reads TOPIC from the beginning in a fresh group GROUP with eachBatch, doing the same per-message
// work as our consumer minus its Prometheus metrics: our parser (dist/, the byte scanner with its
// JSON.parse fallback, and the field checks) and the per-partition sequence check. Offsets are resolved once per batch and auto-committed
// every second, as our consumer commits. Fetch sizes follow librdkafka's defaults.
//
// Writes JSON lines to stdout: {"event":"first","t":ms} at the first message, {"event":"done",...}
// when EXPECTED messages were processed, {"event":"error",...} on a failure. SIGTERM disconnects.
import { createRequire } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { Kafka, logLevel } = require('kafkajs');
const { parseLabMessage } = require(path.join(ROOT, 'dist/src/consumer/lab-message.js'));

const { BROKERS, TOPIC, GROUP, EXPECTED } = process.env;
const expected = Number(EXPECTED);
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const kafka = new Kafka({
  clientId: `bench-kafkajs-${process.pid}`,
  brokers: BROKERS.split(','),
  logLevel: logLevel.WARN,
  logCreator: () => ({ level, log }) => emit({ event: 'log', level, message: log.message, error: log.error }),
});
const consumer = kafka.consumer({
  groupId: GROUP,
  sessionTimeout: 10_000, // as SESSION_TIMEOUT_MS
  heartbeatInterval: 1000, // as HEARTBEAT_INTERVAL_MS
  maxBytes: 52_428_800, // librdkafka fetch.max.bytes
  maxBytesPerPartition: 1_048_576, // librdkafka max.partition.fetch.bytes
  minBytes: 1, // librdkafka fetch.min.bytes
  maxWaitTimeInMs: 500, // librdkafka fetch.wait.max.ms
});

const sequences = new Map(); // partition -> { run, highest }
let processed = 0;
let gaps = 0;
let redeliveries = 0;
let invalid = 0;
let batches = 0;
let first = null;
let done = false;

function check(partition, value) {
  const parsed = parseLabMessage(value);
  if (!parsed.ok) return void invalid++;
  const m = parsed.message;
  const s = sequences.get(partition);
  if (!s || s.run !== m.run) return void sequences.set(partition, { run: m.run, highest: m.partitionSeq });
  if (m.partitionSeq <= s.highest) return void redeliveries++;
  if (m.partitionSeq > s.highest + 1) gaps++;
  s.highest = m.partitionSeq;
}

consumer.on(consumer.events.GROUP_JOIN, (e) => emit({ event: 'assigned', t: Date.now(), partitions: Object.values(e.payload.memberAssignment).flat().length }));
consumer.on(consumer.events.CRASH, (e) => emit({ event: 'crash', message: e.payload?.error?.message, name: e.payload?.error?.name, restart: e.payload?.restart }));

async function main() {
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1000,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (first === null && batch.messages.length > 0) {
        first = Date.now();
        emit({ event: 'first', t: first });
      }
      batches++;
      for (const m of batch.messages) {
        check(batch.partition, m.value);
        processed++;
      }
      if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
      await heartbeat();
      if (!done && processed >= expected) {
        done = true;
        emit({ event: 'done', t: Date.now(), first, processed, gaps, redeliveries, invalid, batches });
      }
    },
  });
}

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) process.exit(130);
  stopping = true;
  consumer.disconnect().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

main().catch((err) => {
  emit({ event: 'error', name: err?.name, message: err?.message, type: err?.type, code: err?.code, stack: err?.stack });
  process.exit(1);
});
