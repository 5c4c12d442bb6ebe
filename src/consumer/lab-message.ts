/**
 * The load generator's message format. Anything else on the topic is still a message the consumer
 * must process and commit; it just carries no sequence to check.
 */
export interface LabMessage {
  seq: number;
  partitionSeq: number;
  /** Identifies one load-generator run; sequences restart when it changes. */
  run: string;
  producedAt: number;
}

export type InvalidReason = 'empty' | 'not_json' | 'not_lab_message';

export type Parsed = { ok: true; message: LabMessage } | { ok: false; reason: InvalidReason };

// Above this size a payload cannot be one of ours; skip the JSON parse of, say, a 1 MB blob.
const MAX_LAB_MESSAGE_BYTES = 4096;

/**
 * Reads a message. Almost every message on the topic is the load generator's flat JSON object, and
 * JSON.parse was a quarter of the consumer's busy time at full speed (docs/benchmarks.md, "Throughput"), so
 * that shape is read straight from the bytes; anything else goes through JSON.parse, and both give
 * the same answer for every input (test/unit/lab-message.test.ts compares them).
 */
export function parseLabMessage(value: Buffer | null | undefined): Parsed {
  if (!value || value.length === 0) return { ok: false, reason: 'empty' };
  if (value.length > MAX_LAB_MESSAGE_BYTES || value[0] !== BRACE_OPEN) return { ok: false, reason: 'not_json' };
  return scanFlatObject(value) ?? parseWithJson(value);
}

/** The general path: any JSON at all. */
export function parseWithJson(value: Buffer): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  if (typeof body !== 'object' || body === null) return { ok: false, reason: 'not_lab_message' };
  const { seq, partitionSeq, run, producedAt } = body as Record<string, unknown>;
  return checkFields(seq, partitionSeq, run, producedAt);
}

function checkFields(seq: unknown, partitionSeq: unknown, run: unknown, producedAt: unknown): Parsed {
  if (
    !Number.isSafeInteger(seq) ||
    !Number.isSafeInteger(partitionSeq) ||
    (partitionSeq as number) < 1 ||
    typeof run !== 'string' ||
    typeof producedAt !== 'number' ||
    !Number.isFinite(producedAt)
  ) {
    return { ok: false, reason: 'not_lab_message' };
  }
  return { ok: true, message: { seq: seq as number, partitionSeq: partitionSeq as number, run, producedAt } };
}

const BRACE_OPEN = 0x7b;
const BRACE_CLOSE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * The fast path, for a flat object whose keys and values need no decoding: `{"k":123,"k":"text"}`
 * with no whitespace, escapes, fractions, exponents or nesting, which is what JSON.stringify makes
 * of the load generator's message. It returns undefined (use JSON.parse) as soon as the input is
 * anything else, so it never accepts what JSON.parse would reject. Keys are compared as bytes;
 * a repeated key keeps its last value, as in JSON.parse.
 */
function scanFlatObject(b: Buffer): Parsed | undefined {
  const end = b.length;
  let seq: unknown;
  let partitionSeq: unknown;
  let run: unknown;
  let producedAt: unknown;
  let i = 1;
  if (i < end && b[i] === BRACE_CLOSE) return i + 1 === end ? checkFields(seq, partitionSeq, run, producedAt) : undefined;
  for (;;) {
    if (i >= end || b[i] !== QUOTE) return undefined;
    const keyStart = i + 1;
    const keyEnd = plainStringEnd(b, keyStart);
    if (keyEnd < 0 || keyEnd + 1 >= end || b[keyEnd + 1] !== COLON) return undefined;
    i = keyEnd + 2;
    if (i >= end) return undefined;
    let value: string | number;
    if (b[i] === QUOTE) {
      const valueEnd = plainStringEnd(b, i + 1);
      if (valueEnd < 0) return undefined;
      // Only `run` is needed as text; other strings (key, padding) are checked and skipped.
      value = keyIs(b, keyStart, keyEnd, KEY_RUN) ? b.toString('utf8', i + 1, valueEnd) : '';
      i = valueEnd + 1;
    } else {
      const numberEnd = integerEnd(b, i);
      if (numberEnd < 0) return undefined;
      value = numberEnd - i <= 15 ? integerValue(b, i, numberEnd) : Number(b.toString('latin1', i, numberEnd));
      i = numberEnd;
    }
    switch (keyEnd - keyStart) {
      case 3:
        if (keyIs(b, keyStart, keyEnd, KEY_SEQ)) seq = value;
        else if (keyIs(b, keyStart, keyEnd, KEY_RUN)) run = value;
        break;
      case 10:
        if (keyIs(b, keyStart, keyEnd, KEY_PRODUCED_AT)) producedAt = value;
        break;
      case 12:
        if (keyIs(b, keyStart, keyEnd, KEY_PARTITION_SEQ)) partitionSeq = value;
        break;
    }
    if (i >= end) return undefined;
    if (b[i] === COMMA) {
      i++;
      continue;
    }
    if (b[i] === BRACE_CLOSE && i + 1 === end) return checkFields(seq, partitionSeq, run, producedAt);
    return undefined;
  }
}

const KEY_SEQ = Buffer.from('seq');
const KEY_RUN = Buffer.from('run');
const KEY_PRODUCED_AT = Buffer.from('producedAt');
const KEY_PARTITION_SEQ = Buffer.from('partitionSeq');

function keyIs(b: Buffer, start: number, end: number, key: Buffer): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (b[start + k] !== key[k]) return false;
  return true;
}

// Per byte inside a JSON string: 1 ends it (the quote), 2 needs decoding or is not allowed
// (backslash, control characters), 0 is itself.
const STRING_BYTE = new Uint8Array(256);
STRING_BYTE[QUOTE] = 1;
STRING_BYTE[BACKSLASH] = 2;
for (let c = 0; c < 0x20; c++) STRING_BYTE[c] = 2;

/** Index of the closing quote of a string needing no decoding, or -1 (escape, control character, no end). */
function plainStringEnd(b: Buffer, start: number): number {
  const n = b.length;
  const t = STRING_BYTE;
  let i = start;
  // Eight bytes per step until one of them is special: the padding of the 1 KiB messages is most
  // of their bytes, and a byte-at-a-time loop made the scanner slower than JSON.parse on them.
  for (; i + 8 <= n; i += 8) {
    if ((t[b[i]] | t[b[i + 1]] | t[b[i + 2]] | t[b[i + 3]] | t[b[i + 4]] | t[b[i + 5]] | t[b[i + 6]] | t[b[i + 7]]) !== 0) break;
  }
  for (; i < n; i++) {
    const kind = t[b[i]];
    if (kind !== 0) return kind === 1 ? i : -1;
  }
  return -1;
}

/** End of a JSON integer (`-?(0|[1-9][0-9]*)`) starting at `start`, or -1 if there is none or it goes on as a fraction or exponent. */
function integerEnd(b: Buffer, start: number): number {
  let i = start;
  if (b[i] === MINUS) i++;
  const first = i;
  while (i < b.length && b[i] >= DIGIT_0 && b[i] <= DIGIT_9) i++;
  if (i === first || (b[first] === DIGIT_0 && i - first > 1)) return -1;
  if (i < b.length && b[i] !== COMMA && b[i] !== BRACE_CLOSE) return -1;
  return i;
}

/** Up to 15 digits (with sign) are exact in a double, so the digits can be summed directly. */
function integerValue(b: Buffer, start: number, end: number): number {
  const negative = b[start] === MINUS;
  let v = 0;
  for (let i = negative ? start + 1 : start; i < end; i++) v = v * 10 + (b[i] - DIGIT_0);
  return negative ? -v : v;
}
