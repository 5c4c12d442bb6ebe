import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Kafka from 'node-rdkafka';
import { ClientEvents, fatalAdvice } from '../../src/consumer/client-events';
import { STRANDED_AFTER_MS } from '../../src/consumer/stranded-watch';
import { capturedLog } from '../support/captured-log';

const E = Kafka.CODES.ERRORS;
const WHO = { topic: 'orders', groupId: 'g', clientId: 'lab-consumer-1', staticMembership: false };

function harness(who = WHO) {
  const { log, lines } = capturedLog();
  let now = 0;
  const seen = { stats: 0, memberIds: [] as (string | null)[], lost: [] as string[], fatal: [] as unknown[] };
  let running = true;
  const events = new ClientEvents(
    who,
    log,
    {
      running: () => running,
      owned: () => [0, 1],
      statsRead: () => void seen.stats++,
      memberIdChanged: (id) => void seen.memberIds.push(id),
      lost: (message) => void seen.lost.push(message),
      fatal: (err) => void seen.fatal.push(err),
    },
    () => now,
  );
  return { lines, events, seen, advance: (ms: number) => (now += ms), stop: () => (running = false) };
}

const error = (code: number, message = `error ${code}`) => Object.assign(new Error(message), { code, origin: 'kafka' }) as never;
const stats = (brokers: Record<string, { state: string; nodeid: number; source: string }>) => JSON.stringify({ topics: {}, cgrp: { state: 'up', join_state: 'steady' }, brokers });
const UP = { 'kafka:9092/1': { state: 'UP', nodeid: 1, source: 'learned' } };
const NONE = {};

describe("librdkafka's events, read into the consumer's state", () => {
  test('the same client error repeated is one log line; a different one gets its own', () => {
    const h = harness();
    for (let i = 0; i < 50; i++) h.events.onError(error(E.ERR__TRANSPORT));
    h.events.onError(error(E.ERR__RESOLVE));
    assert.deepEqual(h.lines.map((l) => l.msg), ['kafka client error', 'kafka client error']);
  });

  test('every broker down makes the broker unreachable until statistics show one up', () => {
    const h = harness();
    assert.equal(h.events.brokerReachable(), true);
    h.events.onError(error(E.ERR__ALL_BROKERS_DOWN));
    assert.equal(h.events.brokerReachable(), false);
    h.events.onStats(stats(UP));
    assert.equal(h.events.brokerReachable(), true);
    assert.equal(h.events.stats()?.brokersUp, true);
    assert.equal(h.seen.stats, 1);
  });

  test('statistics that cannot be read are logged and keep the last good snapshot', () => {
    const h = harness();
    h.events.onStats(stats(UP));
    h.events.onStats('{not json');
    assert.equal(h.events.stats()?.brokersUp, true);
    assert.equal(h.seen.stats, 1);
    assert.equal(h.lines.at(-1)?.msg, 'unreadable librdkafka statistics');
  });

  test('the member id comes from the MEMBERID debug line, and each change is reported once', () => {
    const h = harness();
    const line = (from: string, to: string) => ({ fac: 'MEMBERID', message: `[thrd:main]: Group "g": updating member id "${from}" -> "${to}"` });
    h.events.onLog(line('', 'm-1'));
    h.events.onLog(line('', 'm-1'));
    h.events.onLog(line('m-1', ''));
    assert.deepEqual(h.seen.memberIds, ['m-1', null]);
    assert.equal(h.events.memberId(), null);
  });

  test("librdkafka's LOST line is handed on", () => {
    const h = harness();
    h.events.onLog({ fac: 'LOST', message: 'Group "g": assignment lost' });
    h.events.onLog({ fac: 'CGRPOP', message: 'Group "g" received op' });
    assert.deepEqual(h.seen.lost, ['Group "g": assignment lost']);
  });

  test('no broker left for 10 s while running: stranded, said once; a broker back clears it', () => {
    const h = harness();
    h.events.onStats(stats(NONE));
    h.advance(STRANDED_AFTER_MS - 1);
    h.events.onStats(stats(NONE));
    assert.equal(h.events.isStranded(), false);
    h.advance(1);
    h.events.onStats(stats(NONE));
    h.advance(5000);
    h.events.onStats(stats(NONE));
    assert.equal(h.events.isStranded(), true);
    assert.equal(h.lines.filter((l) => l.level === 50 || l.level === 'error').length, 1);
    assert.deepEqual(h.lines.at(-1)?.owned, [0, 1]);
    h.events.onStats(stats(UP));
    assert.equal(h.events.isStranded(), false);
    assert.equal(h.lines.at(-1)?.msg, 'librdkafka has brokers to connect to again');
  });

  test('a member that is not running is never judged stranded', () => {
    const h = harness();
    h.stop();
    h.events.onStats(stats(NONE));
    h.advance(STRANDED_AFTER_MS * 2);
    h.events.onStats(stats(NONE));
    assert.equal(h.events.isStranded(), false);
  });

  test('a fatal error: its cause from the FATAL line, one fatal log line with the advice, the program told once', async () => {
    const h = harness({ ...WHO, staticMembership: true });
    h.events.onLog({ fac: 'FATAL', message: '[thrd:main]: Fatal consumer error: Broker: Static consumer fenced by other consumer with same group.instance.id' });
    const err = error(E.ERR__FATAL, 'Local: Fatal error');
    h.events.fatal(err);
    h.events.onError(err);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(h.seen.fatal, [err]);
    const fatal = h.lines.filter((l) => l.level === 60 || l.level === 'fatal');
    assert.equal(fatal.length, 1);
    assert.match(String(fatal[0]!.msg), /fenced this one; give every replica its own CONSUMER_NAME/);
    assert.match(String(fatal[0]!.librdkafka), /^Fatal consumer error: Broker: Static consumer fenced/);
    assert.equal(fatal[0]!.groupInstanceId, 'lab-consumer-1');
  });
});

describe('the advice for a fatal error', () => {
  test('an instance id still held by the broker names it and the session timeout', () => {
    const advice = fatalAdvice('Broker: Static member instance id is still used by another member', { ...WHO, staticMembership: true });
    assert.match(advice, /the broker still holds a member with group\.instance\.id "lab-consumer-1" in group g/);
    assert.match(advice, /group\.consumer\.session\.timeout\.ms/);
  });

  test('fenced by another member with the same name', () => {
    assert.match(fatalAdvice('Broker: Static consumer fenced by other consumer', WHO), /fenced this one/);
  });

  test('anything else says the client cannot continue', () => {
    assert.equal(fatalAdvice('', WHO), 'the client cannot continue');
  });
});
