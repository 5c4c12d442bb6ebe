#!/usr/bin/env node
// Runs the test suite: promtool checks of the Prometheus config and rules, unit tests (no broker)
// and integration tests against a real Apache Kafka broker (and a real Prometheus). If KAFKA_BROKERS is unset, a KRaft broker is started from the Maven Central jars for the
// run and removed afterwards. `node scripts/test.mjs unit` runs only the unit tests.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const only = process.argv[2];
const dirs = only === 'unit' ? ['dist/test/unit'] : only === 'integration' ? ['dist/test/integration'] : ['dist/test/unit', 'dist/test/integration'];

if (only !== 'unit' && only !== 'integration') {
  // Prometheus config and rules are code too: parse them and run their synthetic-series tests.
  const checked = spawnSync('bash', ['test/observability/check.sh'], { stdio: 'inherit' });
  if (checked.status !== 0) process.exit(checked.status ?? 1);
}

let broker = null;
if (dirs.includes('dist/test/integration') && !process.env.KAFKA_BROKERS) {
  const { startBroker } = require('../dist/test/support/broker.js');
  const started = Date.now();
  broker = await startBroker();
  process.env.KAFKA_BROKERS = broker.bootstrap;
  console.log(`# started Kafka at ${broker.bootstrap} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-force-exit', '--test-timeout=180000', '--test-reporter=spec', ...dirs], { stdio: 'inherit', env: process.env });
if (broker) {
  if (result.status !== 0) console.log(`# broker log kept until stop: ${broker.logFile}`);
  await broker.stop();
}
process.exit(result.status ?? 1);
