#!/usr/bin/env node
// What the group observer costs: its CPU, memory, poll time and requests per second to the broker,
// while it watches a group of MEMBERS (default 20) of our consumers plus the load generator.
// Starts its own broker unless KAFKA_BROKERS is set. Prints the figures and writes
// bench/results/observer-latest.json. Run with `npm run bench:observer` (about 2 minutes).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpGet, sleep } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist/src/main.js');
const { startBroker, freePort } = require(path.join(ROOT, 'dist/test/support/broker.js'));

const MEMBERS = Number(process.env.MEMBERS ?? 20);
const PARTITIONS = Number(process.env.PARTITIONS ?? 24);
const WINDOW_S = Number(process.env.WINDOW_S ?? 60);

const children = [];
function start(command, env) {
  const child = spawn(process.execPath, [MAIN, command], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}
const sample = (text, name, labels = '') => {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name + (labels ? `{${labels}` : '')) && (labels || line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
};
const requestsByApi = (text) => {
  const out = {};
  for (const m of text.matchAll(/^lab_observer_kafka_requests_total\{request="([^"]+)"\} (\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
};

let broker = null;
try {
  if (!process.env.KAFKA_BROKERS) broker = await startBroker();
  const bootstrap = process.env.KAFKA_BROKERS ?? broker.bootstrap;
  const topic = `observer-bench-${Date.now().toString(36)}`;
  const base = { KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: topic };
  start('loadgen', { ...base, TOPIC_PARTITIONS: String(PARTITIONS), RATE: '200', METRICS_PORT: String(await freePort()) });
  const observerPort = await freePort();
  start('observer', { ...base, METRICS_PORT: String(observerPort) });
  await sleep(3000);
  for (let i = 1; i <= MEMBERS; i++) start('consumer', { ...base, KAFKA_GROUP_ID: 'bench-group', PROCESSING_MS: '0', CONSUMER_NAME: `lab-consumer-${i}`, METRICS_PORT: String(await freePort()) });

  const deadline = Date.now() + 120_000;
  for (;;) {
    const doc = JSON.parse((await httpGet(observerPort, '/groups')).body);
    const g = doc.groups.find((x) => x.group === 'bench-group');
    if (g && g.members.length === MEMBERS && g.state === 'Stable' && g.partitions.every((p) => p.owner)) break;
    if (Date.now() > deadline) throw new Error(`the group did not settle with ${MEMBERS} members: ${JSON.stringify(g?.members.length)}`);
    await sleep(1000);
  }
  // librdkafka's statistics arrive every 5 s: start and end the window just after a report.
  await sleep(6000);
  const before = (await httpGet(observerPort, '/metrics')).body;
  await sleep(WINDOW_S * 1000);
  const after = (await httpGet(observerPort, '/metrics')).body;

  const d = (name, labels) => sample(after, name, labels) - sample(before, name, labels);
  const polls = d('lab_observer_polls_total');
  const reqBefore = requestsByApi(before);
  const reqAfter = requestsByApi(after);
  const perSecond = Object.fromEntries(Object.entries(reqAfter).map(([k, v]) => [k, +((v - (reqBefore[k] ?? 0)) / WINDOW_S).toFixed(2)]).filter(([, v]) => v > 0));
  const result = {
    members: MEMBERS,
    partitions: PARTITIONS,
    windowSeconds: WINDOW_S,
    pollsPerSecond: +(polls / WINDOW_S).toFixed(2),
    pollErrors: d('lab_observer_polls_total', 'result="error"'),
    meanPollMs: +((d('lab_observer_poll_duration_seconds_sum') / d('lab_observer_poll_duration_seconds_count')) * 1000).toFixed(1),
    // The observer is two processes: HTTP and metrics, and its Kafka client (README).
    cpuPercentOfOneCore: +(((d('process_cpu_seconds_total') + d('lab_observer_kafka_client_cpu_seconds_total')) / WINDOW_S) * 100).toFixed(1),
    residentMB: +((sample(after, 'process_resident_memory_bytes') + sample(after, 'lab_observer_kafka_client_resident_memory_bytes')) / 1e6).toFixed(0),
    requestsPerSecond: perSecond,
    totalRequestsPerSecond: +Object.values(perSecond).reduce((a, b) => a + b, 0).toFixed(2),
    load: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)),
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/observer-latest.json'), JSON.stringify(result, null, 2) + '\n');
} finally {
  for (const c of children) c.kill('SIGKILL');
  if (broker) await broker.stop();
}
