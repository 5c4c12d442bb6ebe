import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseLabMessage } from '../../src/consumer/lab-message';

const good = { seq: 7, partitionSeq: 3, key: 'p1-3', run: 'abc', producedAt: 1_700_000_000_000 };

describe('reading a load-generator message', () => {
  test('a well-formed message is read with its sequence, run and production time', () => {
    assert.deepEqual(parseLabMessage(Buffer.from(JSON.stringify(good))), {
      ok: true,
      message: { seq: 7, partitionSeq: 3, run: 'abc', producedAt: 1_700_000_000_000 },
    });
  });

  const bad: [string, Buffer | null, string][] = [
    ['null (tombstone)', null, 'empty'],
    ['zero bytes', Buffer.alloc(0), 'empty'],
    ['plain text', Buffer.from('hello'), 'not_json'],
    ['truncated JSON', Buffer.from('{"seq": 1'), 'not_json'],
    ['binary', Buffer.from([0x7b, 0xff, 0x00, 0x13]), 'not_json'],
    ['a megabyte', Buffer.alloc(1 << 20, 0x7b), 'not_json'],
    ['JSON of another shape', Buffer.from('{"hello":"world"}'), 'not_lab_message'],
    ['a sequence that is a string', Buffer.from(JSON.stringify({ ...good, partitionSeq: '3' })), 'not_lab_message'],
    ['a sequence below 1', Buffer.from(JSON.stringify({ ...good, partitionSeq: 0 })), 'not_lab_message'],
    ['a missing run', Buffer.from(JSON.stringify({ ...good, run: undefined })), 'not_lab_message'],
  ];
  for (const [what, value, reason] of bad) {
    test(`${what} is rejected as ${reason}, without throwing`, () => {
      assert.deepEqual(parseLabMessage(value), { ok: false, reason });
    });
  }
});
