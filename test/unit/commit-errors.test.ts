import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Kafka from 'node-rdkafka';
import { CommitErrorLog } from '../../src/consumer/commit-errors';
import { capturedLog } from '../support/captured-log';

const E = Kafka.CODES.ERRORS;

function harness() {
  const { log, lines } = capturedLog();
  let now = 0;
  const errors = new CommitErrorLog(log, 10_000, () => now);
  return { lines, errors, advance: (ms: number) => (now += ms) };
}

const failure = (code: number) => Object.assign(new Error(`commit failed (${code})`), { code });

describe('failed offset commits during an outage', () => {
  test('a burst of the same failure is one line; a different failure gets its own', () => {
    const h = harness();
    for (let i = 0; i < 1000; i++) h.errors.report(failure(E.ERR__TRANSPORT));
    h.errors.report(failure(E.ERR__WAIT_COORD));
    assert.equal(h.lines.length, 2);
    assert.deepEqual(h.lines.map((l) => (l.err as { name: string }).name), ['ERR__TRANSPORT', 'ERR__WAIT_COORD']);
  });

  test('after the interval the failure is reported again, with how many were left out', () => {
    const h = harness();
    for (let i = 0; i < 50; i++) h.errors.report(failure(E.ERR__TRANSPORT));
    h.advance(10_000);
    h.errors.report(failure(E.ERR__TRANSPORT));
    assert.equal(h.lines.length, 2);
    assert.equal(h.lines[1].suppressed, 49);
  });
});
