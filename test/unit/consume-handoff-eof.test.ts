import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Kafka, { type Message } from 'node-rdkafka';

// Where partition EOF events land among other partitions' messages of one batch depends on the
// broker's fetches, so the integration test (consume-handoff.test.ts) cannot compare it between
// two consumers. Here one librdkafka batch is handed to node-rdkafka's JavaScript in both shapes
// the C++ side produces (arrays of objects as published, columns as our patch writes them; see
// patches/node-rdkafka+3.6.1.patch), with no broker: the events must come out in the same order.

type Event = [string, number, number]; // kind, partition, offset

// librdkafka's queue, in order: an EOF for an empty partition, two messages and the EOF of
// partition 0, one message and the EOF of partition 1.
const QUEUE: ({ eof: true; partition: number; offset: number } | { eof: false; partition: number; offset: number; value: string })[] = [
  { eof: true, partition: 2, offset: 0 },
  { eof: false, partition: 0, offset: 0, value: 'a' },
  { eof: false, partition: 0, offset: 1, value: 'bc' },
  { eof: true, partition: 0, offset: 2 },
  { eof: false, partition: 1, offset: 0, value: 'def' },
  { eof: true, partition: 1, offset: 1 },
];
const TOPIC = 't';

/** As Workers::KafkaConsumerConsumeNum::HandleObjectsCallback (the published code) builds it. */
function asObjects(): unknown[] {
  const messages: Message[] = [];
  const eofEvents: object[] = [];
  for (const q of QUEUE) {
    if (q.eof) eofEvents.push({ topic: TOPIC, offset: q.offset, partition: q.partition, messageIndex: messages.length - 1 });
    else messages.push({ value: Buffer.from(q.value), size: q.value.length, key: null, topic: TOPIC, offset: q.offset, partition: q.partition, timestamp: 1 });
  }
  return [null, messages, eofEvents];
}

/** As BuildColumns writes it: 9 numbers per entry, -2 in the first marks an EOF. */
function asColumns(): unknown[] {
  const bytes = Buffer.from(QUEUE.map((q) => (q.eof ? '' : q.value)).join(''));
  const columns = new Float64Array(QUEUE.length * 9);
  let at = 0;
  QUEUE.forEach((q, i) => {
    const size = q.eof ? 0 : q.value.length;
    columns.set([q.eof ? -2 : at, size, -1, 0, q.offset, q.partition, q.eof ? -1 : 1, 0, -1], i * 9);
    at += size;
  });
  return [null, bytes, Buffer.from(columns.buffer), [TOPIC], QUEUE.length];
}

function emitted(handoff: 'objects' | 'columnar', callbackArgs: unknown[]): Promise<{ events: Event[]; batch: Message[] }> {
  const c = new Kafka.KafkaConsumer({ 'group.id': 'unit', 'enable.partition.eof': true }, {}); // never connected
  c.setConsumeHandoff(handoff);
  // The native consume, replaced by one that calls back at once with the prepared batch.
  (c as unknown as { _client: { consume: (t: number, n: number, cb: (...a: unknown[]) => void) => void } })._client.consume = (_t, _n, cb) => cb(...callbackArgs);
  const events: Event[] = [];
  c.on('data', (m: Message) => events.push(['data', m.partition, m.offset]));
  c.on('partition.eof', (e: { partition: number; offset: number }) => events.push(['eof', e.partition, e.offset]));
  return new Promise((resolve) => c.consume(10, (_err, batch) => resolve({ events, batch })));
}

describe("node-rdkafka's columnar hand-off, partition EOF events", () => {
  test('each EOF is emitted right after the message librdkafka queued before it, as the published conversion does', async () => {
    const expected: Event[] = QUEUE.map((q) => [q.eof ? 'eof' : 'data', q.partition, q.offset]);
    const published = await emitted('objects', asObjects());
    const columnar = await emitted('columnar', asColumns());
    assert.deepEqual(published.events, expected);
    assert.deepEqual(columnar.events, expected);
    assert.deepEqual(columnar.batch, published.batch);
  });
});
