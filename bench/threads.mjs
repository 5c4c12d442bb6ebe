#!/usr/bin/env node
// Where our consumer's CPU goes, by thread: reads case A (1,000,000 messages of ~96 bytes, 12
// partitions) once per round and prints each thread's CPU seconds per million messages, from
// /proc/PID/task (Linux only). The main thread runs our JavaScript and node-rdkafka's hand-off;
// node-rdkafka's consume(n) runs on a libuv worker ("libuv-worker"); librdkafka's own threads are
// "rdk:main", "rdk:broker…" (fetching and parsing) and so on.
//   node bench/threads.mjs            BENCH_RUNS rounds (default 3); BENCH_OURS_MAIN for another build
import { readFileSync, readdirSync } from 'node:fs';
import { createTopic, deleteTopic, fillTopic, useBroker } from './lib/kafka.mjs';
import { runOurs } from './lib/contenders.mjs';

const N = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TICK = 100; // USER_HZ on Linux

function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(fields[11]) + Number(fields[12])) / TICK;
      const name = tid === String(pid) ? 'main (JavaScript)' : comm.replace(/\d+$/, '#');
      out.set(name, (out.get(name) ?? 0) + cpu);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

const log = (m) => process.stderr.write(`[threads] ${m}\n`);
const broker = await useBroker(log);
const topic = `threads-${Date.now().toString(36)}`;
await createTopic(broker.bootstrap, topic, 12);
await fillTopic(broker.bootstrap, topic, 12, N, 100);
log(`filled ${topic} with ${N} messages`);
const rounds = [];
for (let r = 0; r < RUNS; r++) {
  const res = await runOurs({ bootstrap: broker.bootstrap, topic, n: N, afterDone: async (_port, pid) => threads(pid) });
  const rate = Math.round(N / (res.activeMs / 1000));
  const perM = Object.fromEntries([...res.extra].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / N) * 1e6 * 100) / 100]));
  log(`round ${r + 1}: ${rate} msg/s; CPU s per million by thread: ${JSON.stringify(perM)}`);
  rounds.push({ rate, perM });
}
await deleteTopic(broker.bootstrap, topic).catch(() => undefined);
await broker.stop();
process.stdout.write(JSON.stringify({ messages: N, rounds }, null, 2) + '\n');
