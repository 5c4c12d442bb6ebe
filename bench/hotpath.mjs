#!/usr/bin/env node
// Per-message cost of each step of our consumer's hot path, measured in isolation on the built
// modules (dist/), so the profile's percentages can be read as nanoseconds per message:
//
//   node bench/hotpath.mjs                      no broker: parsing, sequence check, metrics, scrape
//   KAFKA_BROKERS=host:port node bench/hotpath.mjs   also node-rdkafka: raw consume(n) rate and
//                                               the cost of one offsetsStore() call per message
//
// Each step runs over the same synthetic load-generator messages (100 bytes and 1 KiB); the
// figure is the median of 5 passes, in nanoseconds per message.
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, Kafka, createTopic, fillTopic, labMessage } from './lib/kafka.mjs';
import { median } from './lib/util.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const dist = (p) => require(path.join(ROOT, 'dist/src', p));
const { parseLabMessage, parseWithJson } = dist('consumer/lab-message.js');
const { Histogram } = require('prom-client');
const { SequenceTracker } = dist('consumer/sequence-tracker.js');
const { ConsumerMetrics } = dist('consumer/metrics.js');
const { loadConsumerConfig } = dist('consumer/config.js');
const { MessageProcessor } = dist('consumer/processor.js');
const pino = require('pino');

const N = Number(process.env.HOTPATH_MESSAGES ?? 200_000);
const PARTITIONS = 12;
const log = pino({ level: 'info' }, pino.destination('/dev/null'));

function messages(size) {
  const out = [];
  const seqs = new Array(PARTITIONS).fill(0);
  for (let seq = 1; seq <= N; seq++) {
    const partition = (seq - 1) % PARTITIONS;
    const { value } = labMessage(size, seq, partition, ++seqs[partition], 'abcd1234', Date.now());
    out.push({ partition, offset: seqs[partition] - 1, value: Buffer.from(value) });
  }
  return out;
}

function newMetrics() {
  return new ConsumerMetrics({ name: 'hotpath', group: 'g', topic: 't', clientId: 'hotpath', groupProtocol: 'classic', assignmentStrategy: 'cooperative-sticky' });
}

async function time(fn, passes = 5) {
  const ns = [];
  for (let i = 0; i < passes; i++) {
    const t0 = performance.now();
    await fn();
    ns.push(((performance.now() - t0) * 1e6) / N);
  }
  return Math.round(median(ns));
}

async function steps(size) {
  const ms = messages(size);
  const metrics = newMetrics();
  for (let p = 0; p < PARTITIONS; p++) metrics.partition(p);
  let sink = 0;
  const r = {};
  r['value.toString(utf8)'] = await time(() => {
    for (const m of ms) sink += m.value.toString('utf8').length;
  });
  r['JSON.parse(value.toString())'] = await time(() => {
    for (const m of ms) sink += JSON.parse(m.value.toString('utf8')).seq;
  });
  r['parseWithJson (JSON.parse + field checks: the general path)'] = await time(() => {
    for (const m of ms) sink += parseWithJson(m.value).ok ? 1 : 0;
  });
  r['parseLabMessage (byte scanner for the flat shape, what the consumer runs)'] = await time(() => {
    for (const m of ms) sink += parseLabMessage(m.value).ok ? 1 : 0;
  });
  r['SequenceTracker.observe'] = await time(() => {
    const t = new SequenceTracker(); // fresh each pass, so every message is "next"
    for (const m of ms) sink += t.observe(m.partition, 'abcd1234', m.offset + 1, m.offset).missing;
  });
  r['metrics.partition(p) + processed++ (flushed at scrape)'] = await time(() => {
    for (const m of ms) metrics.partition(m.partition).processed++;
  });
  const promClientHistogram = new Histogram({ name: 'hotpath_seconds', help: 'x', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [] });
  r['prom-client Histogram.observe (one)'] = await time(() => {
    for (let i = 0; i < N; i++) promClientHistogram.observe(0.00001);
  });
  r['BucketHistogram.observe (one, what the consumer runs)'] = await time(() => {
    for (let i = 0; i < N; i++) metrics.processingSeconds.observe(0.00001);
  });
  r['performance.now() x2 + Date.now()'] = await time(() => {
    for (let i = 0; i < N; i++) sink += performance.now() - performance.now() + Date.now();
  });
  r['log.isLevelEnabled(trace)'] = await time(() => {
    for (let i = 0; i < N; i++) sink += log.isLevelEnabled('trace') ? 1 : 0;
  });
  r['empty async fn, awaited (per-message await)'] = await time(async () => {
    const f = async () => {};
    for (let i = 0; i < N; i++) await f();
  });
  const processor = new MessageProcessor(metrics, log, 0);
  r['processor.process, awaited (PROCESSING_MS=0), all of the above'] = await time(async () => {
    for (const m of ms) await processor.process(m);
  });
  if (sink === 42) process.stdout.write(''); // keep the work
  return r;
}

async function scrapes() {
  const out = {};
  for (const partitions of [12, 1000]) {
    const metrics = newMetrics();
    const all = Array.from({ length: partitions }, (_, p) => p);
    metrics.assignedPartitions(all, partitions);
    for (const p of all) metrics.partition(p).processed++;
    metrics.offsets(new Set(all), all.map((partition) => ({ partition, committed: 100, position: 100, highWatermark: 100, lag: 0 })), 'member-1');
    const ms = [];
    let bytes = 0;
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const text = await metrics.registry.metrics();
      ms.push(performance.now() - t0);
      bytes = text.length;
    }
    out[`registry.metrics() with ${partitions} partitions (ms, median of 30)`] = { ms: Math.round(median(ms) * 100) / 100, bytes };
  }
  return out;
}

/** node-rdkafka alone: how fast consume(n) hands messages to JS, and what offsetsStore costs. */
async function rdkafka(bootstrap) {
  const topic = `hotpath-${Date.now().toString(36)}`;
  await createTopic(bootstrap, topic, PARTITIONS);
  await fillTopic(bootstrap, topic, PARTITIONS, N, 100);
  const out = {};
  // Our consumer's prefetch settings (its defaults) against librdkafka's own.
  const defaults = loadConsumerConfig({});
  const ours = { 'queued.max.messages.kbytes': defaults.prefetchKbytes, 'fetch.queue.backoff.ms': defaults.fetchQueueBackoffMs };
  const runs = [
    { batch: 500, store: false, fetch: {}, label: 'librdkafka default prefetch (64 MB, 1 s backoff)' },
    { batch: 500, store: false, fetch: ours, label: `our prefetch (${ours['queued.max.messages.kbytes'] / 1024} MB, ${ours['fetch.queue.backoff.ms']} ms backoff)` },
    // The published per-message conversion, still selectable in our patched node-rdkafka (README, "Throughput").
    { batch: 500, store: false, fetch: ours, handoff: 'objects', label: 'our prefetch, hand-off as published (objects)' },
    { batch: 500, store: true, fetch: ours, label: 'our prefetch' },
    { batch: 100, store: false, fetch: ours, label: 'our prefetch' },
    { batch: 5000, store: false, fetch: ours, label: 'our prefetch' },
  ];
  for (const { batch, store, fetch, label, handoff = 'columnar' } of runs) {
    const c = new Kafka.KafkaConsumer(
      { 'bootstrap.servers': bootstrap, 'group.id': `hotpath-${Date.now()}-${batch}-${store}`, 'enable.auto.commit': true, 'enable.auto.offset.store': false, ...fetch },
      { 'auto.offset.reset': 'earliest' },
    );
    await new Promise((res, rej) => c.connect({ timeout: 10_000 }, (e) => (e ? rej(e) : res())));
    c.setDefaultConsumeTimeout(200);
    c.setConsumeHandoff(handoff);
    c.subscribe([topic]); // a group member, as our consumer is (offsetsStore needs a group assignment)
    let got = 0;
    let t0 = null;
    let storeNs = 0;
    let storeErrors = 0;
    let calls = 0;
    while (got < N) {
      const msgs = await new Promise((res, rej) => c.consume(batch, (e, m) => (e ? rej(e) : res(m))));
      if (msgs.length === 0) continue;
      if (t0 === null) t0 = performance.now();
      calls++;
      got += msgs.length;
      if (store) {
        // One offsetsStore per message, as handle() does, timed on its own.
        const s0 = performance.now();
        for (const m of msgs) {
          try {
            c.offsetsStore([{ topic, partition: m.partition, offset: m.offset + 1 }]);
          } catch {
            storeErrors++;
          }
        }
        storeNs += (performance.now() - s0) * 1e6;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    out[`consume(${batch}) loop, no processing${store ? ', + offsetsStore per message' : ''}, ${label}`] = { messagesPerSecond: Math.round(N / seconds), averageBatch: Math.round(got / calls) };
    if (store) out['offsetsStore, one call per message (ns/message)'] = Math.round(storeNs / N);
    if (storeErrors) out['offsetsStore errors'] = storeErrors;
    await new Promise((res) => c.disconnect(() => res()));
  }
  const a = Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap });
  await new Promise((res) => a.deleteTopic(topic, 10_000, () => res()));
  a.disconnect();
  return out;
}

const result = { messages: N, '100 bytes (ns/message)': await steps(100), '1 KiB (ns/message)': await steps(1024), scrape: await scrapes() };
if (process.env.KAFKA_BROKERS) result.nodeRdkafka = await rdkafka(process.env.KAFKA_BROKERS);
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
