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

export function parseLabMessage(value: Buffer | null | undefined): Parsed {
  if (!value || value.length === 0) return { ok: false, reason: 'empty' };
  if (value.length > MAX_LAB_MESSAGE_BYTES || value[0] !== 0x7b /* { */) return { ok: false, reason: 'not_json' };
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  if (typeof body !== 'object' || body === null) return { ok: false, reason: 'not_lab_message' };
  const { seq, partitionSeq, run, producedAt } = body as Record<string, unknown>;
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
