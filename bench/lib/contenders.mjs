// The contenders: kcat, our consumer (per-partition metrics on / off), KafkaJS. Each run reads the
// whole topic once, in a fresh consumer group, from the beginning, and reports:
//
//   activeMs       from the moment the client has its assignment to the moment the last of the N
//                  messages was processed (headline). It leaves out process start, connecting and
//                  the group join, which differ per client and are not reading; it keeps what
//                  reading the topic takes: committed-offset lookup, offset reset, fetching, parsing.
//   firstToLastMs  from the first message to the last (secondary). Biased in favour of clients
//                  that decode a large first fetch before handing out the first message (KafkaJS).
//   wallMs         from spawning the process to the last message (start-up and join included).
//   rss            resident memory of the process, sampled every 100 ms from the first message on.
//
// How the moments are seen, per contender, as close to the client as it allows:
//   kcat     assigned = its "% Group ... rebalanced ...: assigned:" stderr line (unbuffered). Its
//            output goes to a file whose size is polled every 5 ms: first = the first bytes, last =
//            the size within 16 KiB of the final size, both extrapolated at the average byte rate
//            (its "Reached end" lines come up to fetch.wait.max.ms = 500 ms after the last message,
//            which would be unfair to it). kcat exits by itself after that.
//   ours     assigned = its "event":"assign" log line. /metrics is polled every 10 ms until
//            lab_consumer_messages_processed_total > 0, then at an interval that shrinks towards
//            10 ms as the count nears N (a handful of scrapes per run, the same for both
//            variants); last = the poll that sees N (at most ~10 ms late).
//   kafkajs  the child reports Date.now() at GROUP_JOIN, at its first message and at N processed.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { openSync, closeSync, statSync, rmSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './kafka.mjs';
import { cpuSeconds, httpGet, lineReader, median, metricSum, now, percentile, rssSampler, sleep, stopChild, toMonoUs } from './util.mjs';

// BENCH_OURS_MAIN: run another build of the consumer (experiments with a patched copy of dist/).
const MAIN = process.env.BENCH_OURS_MAIN ? path.resolve(process.env.BENCH_OURS_MAIN) : path.join(ROOT, 'dist/src/main.js');
const KAFKAJS_CHILD = path.join(ROOT, 'bench/kafkajs-consumer.mjs');
// The test harness's, from the build the benchmark runs on (it needs dist/ for our consumer anyway).
const freePort = () => createRequire(import.meta.url)(path.join(ROOT, 'dist/test/support/broker.js')).freePort();
const FIRST_TIMEOUT_MS = 120_000;

export const live = new Set(); // children started by this benchmark, to stop on an abort

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

let groupCounter = 0;
const freshGroup = (who) => `bench-${who}-${Date.now().toString(36)}-${++groupCounter}`;

// kcat's librdkafka (Debian's 2.0.2) stops fetching a partition for a fixed second whenever its
// prefetch queue passes queued.min.messages or queued.max.messages.kbytes, which reading a
// pre-filled topic does at once: half of the runs then include a one-second stall. That version has
// no fetch.queue.backoff.ms (our consumer sets it to 10 ms), so `kcat` gets thresholds that are
// never reached, its fastest configuration; `kcat-defaults` shows librdkafka's defaults.
const KCAT_UNSTALLED = ['-X', 'queued.min.messages=10000000', '-X', 'queued.max.messages.kbytes=2097151'];

export async function runKcat({ bootstrap, topic, n, defaults = false }) {
  const out = path.join(os.tmpdir(), `bench-kcat-${process.pid}-${groupCounter}.out`);
  const fd = openSync(out, 'w');
  // Not -q: kcat's stderr says when the group assigned the partitions and when the last one hit its end.
  const args = ['-b', bootstrap, '-G', freshGroup('kcat'), '-X', 'auto.offset.reset=earliest', ...(defaults ? [] : KCAT_UNSTALLED), '-e', topic];
  const t0 = now();
  const child = track(spawn('kcat', args, { stdio: ['ignore', fd, 'pipe'] }));
  closeSync(fd);
  let assignedAt = null;
  let endAt = null;
  const stderr = lineReader(child.stderr, (line) => {
    if (assignedAt === null && / rebalanced .*: assigned: /.test(line)) assignedAt = now();
    if (endAt === null && /^% Reached end of topic .*: exiting/.test(line)) endAt = now();
  });
  const rss = rssSampler(child.pid);
  const samples = [];
  let exitAt = null;
  let exitCode = null;
  child.once('exit', (code) => {
    exitAt = now();
    exitCode = code;
  });
  const deadline = t0 + FIRST_TIMEOUT_MS + 600_000;
  while (exitAt === null) {
    let size = 0;
    try {
      size = statSync(out).size;
    } catch {}
    samples.push([now(), size]);
    if (now() > deadline) {
      await stopChild(child, 'SIGKILL');
      throw new Error('kcat did not finish in time');
    }
    await sleep(5);
  }
  rss.stop();
  const finalSize = statSync(out).size;
  const lines = Number(execFileSync('wc', ['-l', out], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  rmSync(out, { force: true });
  if (exitCode !== 0) throw new Error(`kcat exited ${exitCode}: ${stderr.join('\n')}`);
  if (lines !== n) throw new Error(`kcat wrote ${lines} messages, expected ${n}`);
  const firstSample = samples.find(([, s]) => s > 0);
  if (!firstSample) throw new Error('kcat wrote nothing while running');
  if (assignedAt === null || endAt === null) throw new Error(`kcat's stderr did not show the assignment and the end:\n${stderr.join('\n')}`);
  // kcat's "Reached end" comes only with a fetch that returns nothing, which the broker holds for
  // fetch.wait.max.ms (500 ms): too late for the last message. The last message is seen instead in
  // the output file (polled every 5 ms): the first sample within `tail` bytes of the final size
  // (stdio holds at most one 4 KiB buffer back until exit), the rest extrapolated at the average
  // rate. The first message likewise: the first sample with bytes, extrapolated back.
  const tail = 16 * 1024;
  const nearEnd = samples.find(([, s]) => s >= finalSize - tail) ?? [endAt, finalSize];
  const rate = (nearEnd[1] - firstSample[1]) / Math.max(1, nearEnd[0] - firstSample[0]);
  const tFirst = firstSample[0] - firstSample[1] / rate;
  const tLast = Math.min(endAt, nearEnd[0] + (finalSize - nearEnd[1]) / rate);
  return {
    activeMs: tLast - assignedAt,
    firstToLastMs: tLast - tFirst,
    wallMs: tLast - t0,
    eofSeenMs: endAt - tLast,
    joinMs: assignedAt - t0,
    exitMs: exitAt - t0,
    rss: rss.summary(tFirst, tLast),
    checks: { messages: lines },
  };
}

/**
 * Our consumer (`node dist/src/main.js consumer`), PROCESSING_MS=0, all metrics on unless
 * partitionMetrics is 'off' (PARTITION_METRICS=off).
 * Optional: nodeArgs (e.g. --cpu-prof), extraEnv, afterDone(port, pid) run before it is stopped.
 */
export async function runOurs({ bootstrap, topic, n, partitionMetrics = 'on', nodeArgs = [], extraEnv = {}, afterDone = null, quietFor = null, main = MAIN }) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    KAFKA_BROKERS: bootstrap,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: freshGroup(`ours-pm-${partitionMetrics}`),
    CONSUMER_NAME: `bench-ours-${partitionMetrics}`,
    METRICS_PORT: String(port),
    LOG_LEVEL: 'info',
    PROCESSING_MS: '0',
    PARTITION_METRICS: partitionMetrics,
    ...extraEnv,
  };
  const t0 = now();
  const child = track(spawn(process.execPath, [...nodeArgs, main, 'consumer'], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT }));
  let assignedAt = null;
  const logs = lineReader(child.stdout, (line) => {
    if (assignedAt === null && line.includes('"event":"assign"') && !line.includes('"owned":[]')) assignedAt = now();
  });
  const stderr = lineReader(child.stderr);
  const rss = rssSampler(child.pid);
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const fail = (what) => new Error(`our consumer ${what}\n--- stdout tail ---\n${logs.join('\n')}\n--- stderr tail ---\n${stderr.join('\n')}`);

  const processedNow = async () => {
    const r = await httpGet(port, '/metrics');
    // No sample yet (nothing assigned) counts as 0; a missing metric is reported after the timeout.
    const processed = metricSum(r.body, 'lab_consumer_messages_processed_total') ?? 0;
    return { processed, ms: r.ms, body: r.body };
  };

  try {
    // Until the first message: poll every 10 ms (the consumer is idle while it joins).
    let firstSeen = null;
    while (firstSeen === null) {
      if (exited) throw fail(`exited before the first message (${JSON.stringify(exited)})`);
      if (now() - t0 > FIRST_TIMEOUT_MS) {
        throw fail('processed no message within 2 minutes (lab_consumer_messages_processed_total stayed 0 or absent; with PARTITION_METRICS=off it must still be exported, as a total)');
      }
      try {
        const { processed } = await processedNow();
        if (processed > 0) firstSeen = { t: now(), count: processed, cpu: cpuSeconds(child.pid) };
      } catch (err) {
        // Not listening yet: keep polling. Anything else is a real failure.
        if (err.code !== 'ECONNREFUSED' && err.code !== 'ECONNRESET') throw err;
      }
      if (firstSeen === null) await sleep(10);
    }
    // Then: sleep half the expected remaining time (10 ms .. 1 s), so only a few scrapes happen.
    const loadScrapesMs = [];
    let last = { t: firstSeen.t, count: firstSeen.count };
    let final = null;
    while (final === null) {
      if (exited) throw fail(`exited while consuming (${JSON.stringify(exited)})`);
      if (now() - t0 > FIRST_TIMEOUT_MS + 900_000) throw fail(`stuck at ${last.count} of ${n}`);
      const rate = (last.count - firstSeen.count) / Math.max(1, last.t - firstSeen.t);
      const etaMs = rate > 0 ? (n - last.count) / rate : 200;
      await sleep(Math.min(1000, Math.max(10, etaMs / 2)));
      const r = await processedNow();
      loadScrapesMs.push(r.ms);
      last = { t: now(), count: r.processed };
      if (r.processed >= n) final = { t: last.t, count: r.processed, body: r.body, cpu: cpuSeconds(child.pid) };
    }
    // The first poll that sees messages is extrapolated back by the count it saw, at the average rate.
    const span = final.t - firstSeen.t;
    const rate = (final.count - firstSeen.count) / span;
    const tFirst = firstSeen.t - firstSeen.count / rate;
    if (assignedAt === null) throw fail('logged no assignment');
    const checks = {
      processed: final.count,
      gaps: metricSum(final.body, 'lab_consumer_sequence_gaps_total'),
      redeliveries: metricSum(final.body, 'lab_consumer_redeliveries_total'),
      invalid: metricSum(final.body, 'lab_consumer_invalid_messages_total') ?? 0,
      partitionSeries: (final.body.match(/^lab_consumer_messages_processed_total\{[^}]*partition=/gm) ?? []).length,
      rebalances: Object.fromEntries(
        [...final.body.matchAll(/^lab_consumer_rebalance_events_total\{[^}]*type="(\w+)"[^}]*\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]).filter(([, v]) => v > 0),
      ),
    };
    // A single member of a fresh group should see every message once: keep its log if not.
    if (checks.gaps || checks.redeliveries || checks.invalid) checks.logTail = logs.filter((l) => !l.includes('"msg":"consumer starting"')).slice(-20);
    // Where the resident memory is, at the end of reading (prom-client's process metrics).
    const mb = (name) => {
      const v = metricSum(final.body, name);
      return v === null ? null : Math.round((v / 2 ** 20) * 10) / 10;
    };
    const memoryAtEndMB = {
      rss: mb('process_resident_memory_bytes'),
      heapTotal: mb('nodejs_heap_size_total_bytes'),
      heapUsed: mb('nodejs_heap_size_used_bytes'),
      external: mb('nodejs_external_memory_bytes'),
    };
    if (quietFor) await sleep(quietFor);
    const extra = afterDone ? await afterDone(port, child.pid) : null;
    rss.stop();
    return {
      activeMs: final.t - assignedAt,
      firstToLastMs: final.t - tFirst,
      // CPU (all threads) per million messages, from the first poll that saw messages to the last.
      cpuSecondsPerMillion: final.cpu !== null && firstSeen.cpu !== null ? ((final.cpu - firstSeen.cpu) / (final.count - firstSeen.count)) * 1e6 : null,
      wallMs: final.t - t0,
      joinMs: assignedAt - t0,
      monoWindowUs: { from: toMonoUs(tFirst), to: toMonoUs(final.t) },
      rss: rss.summary(tFirst, final.t),
      scrapeUnderLoadMs: { median: median(loadScrapesMs), max: loadScrapesMs.length ? Math.max(...loadScrapesMs) : null, count: loadScrapesMs.length },
      checks,
      memoryAtEndMB,
      extra,
    };
  } finally {
    rss.stop();
    await stopChild(child, 'SIGTERM', 15_000);
  }
}

export async function runKafkajs({ bootstrap, topic, n }) {
  const t0 = now();
  const t0Epoch = Date.now();
  const child = track(
    spawn(process.execPath, [KAFKAJS_CHILD], {
      env: { PATH: process.env.PATH, BROKERS: bootstrap, TOPIC: topic, GROUP: freshGroup('kafkajs'), EXPECTED: String(n), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    }),
  );
  const rss = rssSampler(child.pid);
  const events = [];
  let done = null;
  let firstAtHere = null;
  let cpuAtFirst = null;
  let assigned = null;
  const out = lineReader(child.stdout, (line) => {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    events.push(e);
    if (e.event === 'first') {
      firstAtHere = now();
      cpuAtFirst = cpuSeconds(child.pid);
    }
    if (e.event === 'assigned' && assigned === null) assigned = e.t;
    if (e.event === 'done') done = { ...e, here: now(), cpu: cpuSeconds(child.pid) };
  });
  const stderr = lineReader(child.stderr);
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const problems = () => events.filter((e) => e.event === 'error' || e.event === 'crash' || (e.event === 'log' && e.level <= 2));
  try {
    while (!done) {
      if (exited) {
        const err = new Error(`KafkaJS consumer exited (${JSON.stringify(exited)}) before reading ${n} messages`);
        err.kafkajs = { problems: problems(), stdout: out, stderr };
        throw err;
      }
      if (now() - t0 > FIRST_TIMEOUT_MS + 900_000 || (firstAtHere === null && now() - t0 > FIRST_TIMEOUT_MS)) {
        const err = new Error(`KafkaJS consumer did not finish in time`);
        err.kafkajs = { problems: problems(), stdout: out, stderr };
        throw err;
      }
      await sleep(20);
    }
    rss.stop();
    if (assigned === null) throw new Error('KafkaJS consumer reported no group join');
    return {
      activeMs: done.t - assigned,
      firstToLastMs: done.t - done.first,
      wallMs: done.t - t0Epoch,
      cpuSecondsPerMillion: done.cpu !== null && cpuAtFirst !== null ? ((done.cpu - cpuAtFirst) / n) * 1e6 : null,
      joinMs: assigned - t0Epoch,
      rss: rss.summary(firstAtHere ?? t0, done.here),
      checks: { processed: done.processed, gaps: done.gaps, redeliveries: done.redeliveries, invalid: done.invalid, batches: done.batches },
      warnings: problems().slice(0, 5),
    };
  } finally {
    rss.stop();
    await stopChild(child, 'SIGTERM', 15_000);
  }
}

/** Times `count` scrapes of /metrics one after another: median, p90, max, body size, samples. */
export async function timeScrapes(port, count) {
  const ms = [];
  let body = '';
  for (let i = 0; i < count; i++) {
    const r = await httpGet(port, '/metrics');
    ms.push(r.ms);
    body = r.body;
  }
  return {
    scrapes: count,
    medianMs: median(ms),
    p90Ms: percentile(ms, 90),
    maxMs: Math.max(...ms),
    bytes: Buffer.byteLength(body),
    samples: body.split('\n').filter((l) => l && l[0] !== '#').length,
  };
}

export function newestCpuProfile(dir) {
  mkdirSync(dir, { recursive: true });
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  files.sort((a, b) => statSync(path.join(dir, b)).mtimeMs - statSync(path.join(dir, a)).mtimeMs);
  return files.length ? path.join(dir, files[0]) : null;
}
