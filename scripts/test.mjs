#!/usr/bin/env node
// Runs the test suite: promtool checks of the Prometheus config and rules, unit tests (no broker)
// and integration tests against a real Apache Kafka broker (and a real Prometheus). If KAFKA_BROKERS
// is unset, a KRaft broker is started from the Maven Central jars for the run and removed afterwards.
//
//   node scripts/test.mjs                      everything
//   node scripts/test.mjs unit                 only the tests that need no broker
//   node scripts/test.mjs integration          only the broker tests
//   node scripts/test.mjs integration observer only the test files whose name contains "observer"
//
// The test files are listed here and handed to `node --test` one by one: Node 20 takes directories
// but no globs, Node 21 and later take globs but no directories, and both take file names.
// There is no --test-force-exit: a test file whose process does not end by itself has leaked a
// handle (a socket, a timer, a child), and the run should say so rather than hide it.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const [tier, filter] = process.argv.slice(2);
if (tier !== undefined && tier !== 'unit' && tier !== 'integration') {
  console.error(`usage: node scripts/test.mjs [unit|integration [NAME]] (got "${tier}")`);
  process.exit(2);
}
const tiers = tier ? [tier] : ['unit', 'integration'];

/** The compiled test files of one tier, in a stable order, optionally only those whose name contains `filter`. */
function testFiles(name) {
  const dir = path.join('dist/test', name);
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js') && (!filter || path.basename(f).includes(filter)))
    .sort()
    .map((f) => path.join(dir, f));
}

const files = tiers.flatMap(testFiles);
if (files.length === 0) {
  console.error(`no test files found for ${tiers.join(' and ')}${filter ? ` matching "${filter}"` : ''}: was \`npm run build\` run?`);
  process.exit(1);
}

if (!tier) {
  // Prometheus config and rules are code too: parse them and run their synthetic-series tests.
  const checked = spawnSync('bash', ['test/observability/check.sh'], { stdio: 'inherit' });
  if (checked.status !== 0) process.exit(checked.status ?? 1);
}

let broker = null;
if (tiers.includes('integration') && !process.env.KAFKA_BROKERS) {
  const { startBroker } = require('../dist/test/support/broker.js');
  const started = Date.now();
  broker = await startBroker();
  process.env.KAFKA_BROKERS = broker.bootstrap;
  console.log(`# started Kafka at ${broker.bootstrap} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./scripts/slowest-tests.mjs', '--test-reporter-destination=stdout'];
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=180000', ...reporters, ...files], { stdio: 'inherit', env: process.env });
if (broker) {
  if (result.status !== 0) console.log(`# broker log kept until stop: ${broker.logFile}`);
  await broker.stop();
}
process.exit(result.status ?? 1);
