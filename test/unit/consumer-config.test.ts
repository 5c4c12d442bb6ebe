import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeConsumerConfig, loadConsumerConfig } from '../../src/consumer/config';
import { consumerSettings } from '../../src/consumer/rdkafka-config';
import { ConfigError } from '../../src/shared/env';

function problems(env: Record<string, string>): string[] {
  try {
    loadConsumerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('consumer configuration', () => {
  test('with no variables set, the documented defaults apply', () => {
    const c = loadConsumerConfig({});
    assert.equal(c.brokers, 'localhost:9092');
    assert.equal(c.topic, 'lab-events');
    assert.equal(c.groupId, 'lab-group');
    assert.equal(c.groupProtocol, 'classic');
    assert.equal(c.assignmentStrategy, 'cooperative-sticky');
    assert.equal(c.incremental, true);
    assert.equal(c.processingMs, 10);
    assert.equal(c.metricsPort, 8080);
    assert.equal(c.consumerName, null);
  });

  test('broker lists are trimmed and may hold several entries', () => {
    assert.equal(loadConsumerConfig({ KAFKA_BROKERS: ' a:9092, b:9093 ' }).brokers, 'a:9092,b:9093');
  });

  test('range and roundrobin are eager; cooperative-sticky and the consumer protocol are incremental', () => {
    assert.equal(loadConsumerConfig({ ASSIGNMENT_STRATEGY: 'range' }).incremental, false);
    assert.equal(loadConsumerConfig({ ASSIGNMENT_STRATEGY: 'roundrobin' }).incremental, false);
    const kip848 = loadConsumerConfig({ GROUP_PROTOCOL: 'consumer' });
    assert.equal(kip848.incremental, true);
    assert.equal(kip848.assignmentStrategy, null);
    assert.equal(kip848.sessionTimeoutMs, null);
  });

  test('settings the broker owns under KIP-848 are refused with what to do instead', () => {
    const p = problems({ GROUP_PROTOCOL: 'consumer', SESSION_TIMEOUT_MS: '6000', HEARTBEAT_INTERVAL_MS: '1000' });
    assert.equal(p.length, 2);
    assert.match(p[0], /SESSION_TIMEOUT_MS="6000" is not accepted with GROUP_PROTOCOL=consumer/);
    assert.match(p[0], /group\.consumer\.\* broker settings/);
  });

  test('SASL needs both a user name and a password', () => {
    assert.match(problems({ KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_USERNAME: 'u' })[0], /KAFKA_SASL_PASSWORD are required/);
  });

  test('the start-up summary hides the password', () => {
    const c = loadConsumerConfig({ KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw-123' });
    assert.ok(!JSON.stringify(describeConsumerConfig(c)).includes('pw-123'));
  });
});

describe('librdkafka settings', () => {
  test('offsets are stored by us after processing, never automatically on delivery', () => {
    const { global } = consumerSettings(loadConsumerConfig({}), 'c1');
    assert.equal(global['enable.auto.offset.store'], false);
    assert.equal(global['enable.auto.commit'], true);
    assert.equal(global['client.id'], 'c1');
  });

  test('the classic protocol sends the strategy and timing; KIP-848 sends neither', () => {
    const classic = consumerSettings(loadConsumerConfig({ ASSIGNMENT_STRATEGY: 'range' }), 'c').global as Record<string, unknown>;
    assert.equal(classic['group.protocol'], 'classic');
    assert.equal(classic['partition.assignment.strategy'], 'range');
    assert.equal(classic['session.timeout.ms'], 10000);
    const kip848 = consumerSettings(loadConsumerConfig({ GROUP_PROTOCOL: 'consumer' }), 'c').global as Record<string, unknown>;
    assert.equal(kip848['group.protocol'], 'consumer');
    for (const k of ['partition.assignment.strategy', 'session.timeout.ms', 'heartbeat.interval.ms']) assert.ok(!(k in kip848), `${k} not sent`);
  });

  test('static membership uses the replica name as group.instance.id; off by default', () => {
    const on = consumerSettings(loadConsumerConfig({ STATIC_MEMBERSHIP: 'on' }), 'lab-consumer-2').global as Record<string, unknown>;
    assert.equal(on['group.instance.id'], 'lab-consumer-2');
    const off = consumerSettings(loadConsumerConfig({}), 'lab-consumer-2').global as Record<string, unknown>;
    assert.ok(!('group.instance.id' in off));
  });

  test("a replica name with characters Kafka refuses in a group instance id (Swarm's consumer.3@laptop-bob) joins with them replaced", () => {
    const swarm = consumerSettings(loadConsumerConfig({ STATIC_MEMBERSHIP: 'on' }), 'consumer.3@laptop-bob').global as Record<string, unknown>;
    assert.equal(swarm['group.instance.id'], 'consumer.3_laptop-bob');
    assert.equal(swarm['client.id'], 'consumer.3@laptop-bob', 'the client id, the name on the dashboard, is unchanged');
  });

  test('the prefetch buffer is small and refills at once, unless configured otherwise', () => {
    const defaults = consumerSettings(loadConsumerConfig({}), 'c').global as Record<string, unknown>;
    assert.equal(defaults['queued.max.messages.kbytes'], 4096);
    assert.equal(defaults['fetch.queue.backoff.ms'], 10);
    const tuned = consumerSettings(loadConsumerConfig({ QUEUED_MAX_MESSAGES_KBYTES: '65536', FETCH_QUEUE_BACKOFF_MS: '1000' }), 'c').global as Record<string, unknown>;
    assert.equal(tuned['queued.max.messages.kbytes'], 65536);
    assert.equal(tuned['fetch.queue.backoff.ms'], 1000);
    assert.match(problems({ QUEUED_MAX_MESSAGES_KBYTES: '10' })[0], /QUEUED_MAX_MESSAGES_KBYTES="10" is not accepted: expected an integer from 1024 to 2097151/);
    assert.match(problems({ FETCH_QUEUE_BACKOFF_MS: '-1' })[0], /FETCH_QUEUE_BACKOFF_MS="-1" is not accepted: expected an integer from 0 to 300000/);
  });

  test('plaintext sends no security settings; SASL sends them', () => {
    const plain = consumerSettings(loadConsumerConfig({}), 'c').global as Record<string, unknown>;
    assert.ok(!('security.protocol' in plain));
    const sasl = consumerSettings(loadConsumerConfig({ KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' }), 'c').global as Record<string, unknown>;
    assert.equal(sasl['security.protocol'], 'sasl_ssl');
    assert.equal(sasl['sasl.mechanisms'], 'SCRAM-SHA-512');
  });
});

describe('LAB_PROTOCOL: one setting picks what the lab shows', () => {
  const picked = (env: Record<string, string>) => {
    const c = loadConsumerConfig(env);
    return { protocol: c.groupProtocol, strategy: c.assignmentStrategy, static: c.staticMembership, incremental: c.incremental };
  };

  test('each lab protocol sets the group protocol, the assignor and static membership', () => {
    assert.deepEqual(picked({ LAB_PROTOCOL: 'eager' }), { protocol: 'classic', strategy: 'range', static: false, incremental: false });
    assert.deepEqual(picked({ LAB_PROTOCOL: 'cooperative' }), { protocol: 'classic', strategy: 'cooperative-sticky', static: false, incremental: true });
    assert.deepEqual(picked({ LAB_PROTOCOL: 'static' }), { protocol: 'classic', strategy: 'cooperative-sticky', static: true, incremental: true });
    assert.deepEqual(picked({ LAB_PROTOCOL: 'kip848' }), { protocol: 'consumer', strategy: null, static: false, incremental: true });
  });

  test('unset, the old variables still decide, with the same defaults as before', () => {
    assert.deepEqual(picked({}), { protocol: 'classic', strategy: 'cooperative-sticky', static: false, incremental: true });
    assert.deepEqual(picked({ GROUP_PROTOCOL: 'consumer' }), { protocol: 'consumer', strategy: null, static: false, incremental: true });
    assert.deepEqual(picked({ ASSIGNMENT_STRATEGY: 'roundrobin', STATIC_MEMBERSHIP: 'on' }), { protocol: 'classic', strategy: 'roundrobin', static: true, incremental: false });
  });

  test('an old variable that agrees with LAB_PROTOCOL, or picks among what it allows, is accepted', () => {
    assert.equal(picked({ LAB_PROTOCOL: 'eager', ASSIGNMENT_STRATEGY: 'roundrobin' }).strategy, 'roundrobin');
    assert.equal(picked({ LAB_PROTOCOL: 'static', ASSIGNMENT_STRATEGY: 'range' }).strategy, 'range');
    assert.equal(picked({ LAB_PROTOCOL: 'kip848', GROUP_PROTOCOL: 'consumer' }).protocol, 'consumer');
    assert.equal(picked({ LAB_PROTOCOL: 'cooperative', STATIC_MEMBERSHIP: 'off' }).static, false);
  });

  test('an old variable that contradicts LAB_PROTOCOL is refused, naming both and the way out', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ LAB_PROTOCOL: 'kip848', GROUP_PROTOCOL: 'classic' }, /GROUP_PROTOCOL="classic" contradicts LAB_PROTOCOL=kip848 \(which means GROUP_PROTOCOL=consumer\)/],
      [{ LAB_PROTOCOL: 'eager', ASSIGNMENT_STRATEGY: 'cooperative-sticky' }, /ASSIGNMENT_STRATEGY="cooperative-sticky" contradicts LAB_PROTOCOL=eager \(which means ASSIGNMENT_STRATEGY=range or roundrobin\)/],
      [{ LAB_PROTOCOL: 'cooperative', ASSIGNMENT_STRATEGY: 'range' }, /contradicts LAB_PROTOCOL=cooperative/],
      [{ LAB_PROTOCOL: 'cooperative', STATIC_MEMBERSHIP: 'on' }, /STATIC_MEMBERSHIP="on" contradicts LAB_PROTOCOL=cooperative \(which means STATIC_MEMBERSHIP=off\)/],
      [{ LAB_PROTOCOL: 'static', STATIC_MEMBERSHIP: 'off' }, /STATIC_MEMBERSHIP="off" contradicts LAB_PROTOCOL=static/],
      [{ LAB_PROTOCOL: 'kip848', ASSIGNMENT_STRATEGY: 'range' }, /ASSIGNMENT_STRATEGY="range" contradicts LAB_PROTOCOL=kip848 \(the broker assigns/],
    ];
    for (const [env, re] of cases) {
      const p = problems(env);
      assert.equal(p.length, 1, JSON.stringify(env));
      assert.match(p[0], re);
      assert.match(p[0], /unset .* or LAB_PROTOCOL/);
    }
  });

  test('an unknown lab protocol is refused with the accepted names', () => {
    assert.match(problems({ LAB_PROTOCOL: 'sticky' })[0], /LAB_PROTOCOL="sticky" is not accepted: expected one of eager, cooperative, static, kip848/);
  });
});
