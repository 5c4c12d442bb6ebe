import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseLabMessage, parseWithJson } from '../../src/consumer/lab-message';

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

describe('the byte scanner for the load generator\'s own shape agrees with JSON.parse', () => {
  // A seeded generator, so a failing input can be reproduced from the seed in the message.
  function random(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const pieces = ['"', '\\', ',', ':', '{', '}', '[', ']', ' ', '-', '0', '7', '.', 'e', '+', 'n', 'true', 'null', '\u0001', '\n', '\u00e9', '"seq"', '"run"', '"partitionSeq"', '"producedAt"', '1e3', '9007199254740993', '-0', '01'];
  const bytes = [0x00, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xe0, 0xff];

  function mutate(text: Buffer, r: () => number): Buffer {
    const at = Math.floor(r() * (text.length + 1));
    const kind = Math.floor(r() * 4);
    if (kind === 0) return Buffer.concat([text.subarray(0, at), Buffer.from(pieces[Math.floor(r() * pieces.length)]), text.subarray(at)]);
    if (kind === 1) return Buffer.concat([text.subarray(0, at), text.subarray(Math.min(text.length, at + 1 + Math.floor(r() * 3)))]);
    if (kind === 2) return text.subarray(0, at);
    const copy = Buffer.from(text);
    if (at < copy.length) copy[at] = bytes[Math.floor(r() * bytes.length)];
    return copy;
  }

  const shapes = [
    good,
    { ...good, pad: 'x'.repeat(900) },
    { seq: 1, partitionSeq: 1, run: 'r', producedAt: -5 },
    { run: 'r\u00e9', seq: 123456789012345, partitionSeq: 9007199254740991, producedAt: 0, extra: 'a"b' },
    { seq: 1, partitionSeq: 2, run: 'one', producedAt: 3, seq2: 4, run2: 5 },
    { seq: 1.5, partitionSeq: 2, run: 'x', producedAt: 1 },
    { seq: 1, partitionSeq: 2, run: 'x', producedAt: 1e21 },
    {},
  ];

  test('for every well-formed shape and 20,000 mutations of them, both paths give the same result', () => {
    const r = random(20261124);
    let compared = 0;
    let viaScanner = 0;
    for (const shape of shapes) {
      const base = Buffer.from(JSON.stringify(shape));
      const inputs: Buffer[] = [base, Buffer.from(JSON.stringify(shape, null, 1)), Buffer.from(`${base.toString()} `)];
      for (let i = 0; i < 2500; i++) {
        let m: Buffer = base;
        const steps = 1 + Math.floor(r() * 3);
        for (let k = 0; k < steps; k++) m = mutate(m, r);
        inputs.push(m);
      }
      for (const input of inputs) {
        if (input.length === 0 || input[0] !== 0x7b) continue; // decided before either path runs
        const expected = parseWithJson(input);
        assert.deepEqual(parseLabMessage(input), expected, `input ${JSON.stringify(input.toString('latin1'))}`);
        compared++;
        if (expected.ok) viaScanner++;
      }
    }
    assert.ok(compared > 15_000, `compared ${compared}`);
    assert.ok(viaScanner > 100, `only ${viaScanner} valid inputs`);
  });

  test('a repeated field keeps its last value, as JSON.parse does', () => {
    const input = Buffer.from('{"seq":1,"partitionSeq":2,"run":"a","producedAt":3,"run":"b","partitionSeq":5}');
    assert.deepEqual(parseLabMessage(input), { ok: true, message: { seq: 1, partitionSeq: 5, run: 'b', producedAt: 3 } });
  });

  test('the run id is read right when it repeats, changes to another of the same length, and the bytes it came from are reused', () => {
    const msg = (run: string) => Buffer.from(JSON.stringify({ ...good, run }));
    const runs = ['run1', 'run1', 'run2', 'run1', 'r\u00e9n', 'r\u00e9n', 'abcd'];
    assert.deepEqual(
      runs.map((r) => {
        const p = parseLabMessage(msg(r));
        return p.ok ? p.message.run : p.reason;
      }),
      runs,
    );
    // The batch buffer a message lives in is reused by no one, but a caller may overwrite its own.
    const b = msg('zzzz');
    assert.equal((parseLabMessage(b) as { ok: true; message: { run: string } }).message.run, 'zzzz');
    b.write('yyyy', b.indexOf('zzzz'));
    assert.equal((parseLabMessage(b) as { ok: true; message: { run: string } }).message.run, 'yyyy', 'the cached run is compared with a copy of its bytes');
  });
});
