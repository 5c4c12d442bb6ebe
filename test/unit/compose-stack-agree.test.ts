import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { environmentOf } from '../support/yaml-env';

// The broker's settings are written twice, once for `docker compose` and once for `docker stack
// deploy` (Swarm ignores what the stack file cannot take, so they cannot share one file). A setting
// changed in one and not the other would make the Swarm lab behave unlike the one on a laptop.
const read = (file: string) => readFileSync(file, 'utf8');

function assertSame(a: Map<string, string>, b: Map<string, string>, what: string): void {
  assert.ok(a.size >= 10, `${what}: only ${a.size} settings read; the reader missed the block`);
  const differ = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
  assert.deepEqual(
    differ.map((k) => `${k}: compose=${a.get(k) ?? '(unset)'} stack=${b.get(k) ?? '(unset)'}`),
    [],
    `${what}: the compose and stack files disagree`,
  );
}

test('the one-broker lab: docker-compose.yml and docker-stack.yml give Kafka the same settings', () => {
  const path = ['services', 'kafka', 'environment'];
  assertSame(environmentOf(read('docker-compose.yml'), path, 'docker-compose.yml'), environmentOf(read('docker-stack.yml'), path, 'docker-stack.yml'), 'kafka');
});

test('the three-broker lab: each broker gets the same settings from both override files', () => {
  for (const broker of ['kafka', 'kafka-2', 'kafka-3']) {
    const path = ['services', broker, 'environment'];
    assertSame(
      environmentOf(read('docker-compose.brokers3.yml'), path, 'docker-compose.brokers3.yml'),
      environmentOf(read('docker-stack.brokers3.yml'), path, 'docker-stack.brokers3.yml'),
      broker,
    );
  }
});

test('the reader sees a changed value, an added key and a merged anchor', () => {
  const base = 'x-env: &env\n  A: "1"\n  B: two # why\nservices:\n  kafka:\n    environment:\n      <<: *env\n      C: 3\n  other:\n    image: x\n';
  assert.deepEqual([...environmentOf(base, ['services', 'kafka', 'environment'])], [['A', '1'], ['B', 'two'], ['C', '3']]);
  assert.throws(() => environmentOf(base, ['services', 'missing', 'environment']), /no "services.missing.environment" block/);
  assert.throws(() => environmentOf('services:\n  kafka:\n    environment:\n      - A=1\n', ['services', 'kafka', 'environment']), /not a KEY: value pair/);
});

test('both files size the group with CONSUMER_REPLICAS, so one setting means the same on a laptop and on Swarm', () => {
  for (const file of ['docker-compose.yml', 'docker-stack.yml']) {
    const consumer = read(file).split(/\n  consumer:\n/)[1]?.split(/\n  [a-z-]+:\n/)[0];
    assert.ok(consumer, `${file}: no consumer service`);
    assert.match(consumer, /\n\s+replicas: \$\{CONSUMER_REPLICAS:-\d+\}\n/, `${file}: the consumer's replicas do not come from CONSUMER_REPLICAS`);
  }
});

test("both files cap Prometheus at one core (GOMAXPROCS=1): a room of viewers cannot take the instructor's second core", () => {
  // docs/viewers-benchmark.md: with Diagnostics open and every annotation ticked in fifteen
  // browsers, an uncapped Prometheus used 1.12-1.30 cores; capped, it used 1.00 and still answered.
  for (const file of ['docker-compose.yml', 'docker-stack.yml']) {
    assert.equal(environmentOf(read(file), ['services', 'prometheus', 'environment'], file).get('GOMAXPROCS'), '1', file);
  }
});
