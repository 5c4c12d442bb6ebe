import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pacer } from '../../src/loadgen/pacer';
import { parsePartitions, parseRate } from '../../src/loadgen/config';

describe('holding a target rate', () => {
  test('over a second of 10 ms ticks, exactly the target rate is due', () => {
    const p = new Pacer(500, 0);
    let sent = 0;
    for (let t = 10; t <= 1000; t += 10) sent += p.due(t);
    assert.equal(sent, 500);
  });

  test('low rates below one per tick still add up', () => {
    const p = new Pacer(3, 0);
    let sent = 0;
    for (let t = 10; t <= 2000; t += 10) sent += p.due(t);
    assert.equal(sent, 6);
  });

  test('after a stall it resumes at the rate instead of bursting out everything owed', () => {
    const p = new Pacer(1000, 0);
    assert.equal(p.due(10_000), 250, 'at most a quarter second of messages at once');
  });

  test('messages that could not be sent are due again on the next tick', () => {
    const p = new Pacer(100, 0);
    const n = p.due(100);
    p.unsent(n);
    assert.equal(p.due(100), n);
  });

  test('a rate change takes effect at once; zero pauses', () => {
    const p = new Pacer(100, 0);
    p.setRate(0, 0);
    assert.equal(p.due(5000), 0);
    p.setRate(200, 5000);
    assert.equal(p.due(5100), 20);
  });
});

describe('rate and partition values sent over HTTP', () => {
  test('plain, form and JSON bodies are accepted', () => {
    assert.equal(parseRate('500', 5000), 500);
    assert.equal(parseRate('rate=250\n', 5000), 250);
    assert.equal(parseRate('{"rate": 12.5}', 5000), 12.5);
    assert.equal(parseRate('0', 5000), 0);
  });
  test('anything else is refused with the accepted range', () => {
    for (const bad of ['', 'fast', '-5', '1e9', '{"rate":"x"}']) assert.throws(() => parseRate(bad, 5000), /from 0 to at most 5000 messages per second \(MAX_RATE/);
  });
  test('partitions can only grow', () => {
    assert.equal(parsePartitions('16', 12), 16);
    assert.throws(() => parsePartitions('12', 12), /can only be added: the topic has 12, asked for 12/);
    assert.throws(() => parsePartitions('8', 12), /cannot remove partitions/);
  });
});
