import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import Kafka, { type KafkaConsumer, type LibrdKafkaError, type Message } from 'node-rdkafka';
import { Kafka as KafkaJS, logLevel, type IHeaders } from 'kafkajs';
import { checkConsumeHandoff } from '../../src/consumer/consume-handoff';
import { brokers, createTopic, uniqueName } from '../support/kafka';

// Our patch to node-rdkafka (patches/node-rdkafka+3.6.1.patch) hands consume(n) batches over in
// columns and builds the messages in JavaScript. It keeps the published per-message conversion
// selectable ('objects'), so both paths read the same topic here, in the same process, and must
// give the application exactly the same events.

type Handoff = 'columnar' | 'objects';

interface Produced {
  value: Buffer | null;
  key: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[]>;
  timestamp?: string;
}

/** What the application sees of one read: per partition, every 'data' and 'partition.eof' event in order. */
interface Read {
  events: Map<number, ({ data: Message } | { eof: unknown })[]>;
  /** Everything consume() called back with, in order: the same objects 'data' emitted. */
  batches: Message[][];
  dataInOrder: Message[];
}

const PARTITIONS = 3; // 0 and 1 hold the mix, 2 stays empty: an EOF before any message

function mixed(partition: number): Produced[] {
  const list: Produced[] = [
    { value: Buffer.from('plain text, ünïcödé'), key: Buffer.from('text-key'), timestamp: '1700000000000' },
    { value: randomBytes(300), key: randomBytes(16) },
    { value: Buffer.alloc(0), key: Buffer.alloc(0) },
    { value: null, key: Buffer.from('tombstone') },
    { value: Buffer.from('no key'), key: null },
    { value: null, key: null },
    { value: Buffer.alloc(1024 * 1024, 0x61 + partition), key: Buffer.from('1 MiB') },
    {
      value: Buffer.from('with headers'),
      key: Buffer.from('h'),
      headers: { 'trace-id': 'abc', bin: randomBytes(8), empty: Buffer.alloc(0), repeated: ['one', 'two'], ключ: 'значение' },
    },
    { value: Buffer.from('an empty headers object'), key: null, headers: {} },
  ];
  for (let i = 0; i < 20; i++) list.push({ value: Buffer.from(`{"seq":${i},"partition":${partition}}`), key: Buffer.from(`k${i}`) });
  return partition === 0 ? list : list.reverse();
}

async function produce(topic: string): Promise<Map<number, Produced[]>> {
  const kafka = new KafkaJS({ clientId: 'handoff-test', brokers: brokers().split(','), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const produced = new Map<number, Produced[]>();
  try {
    // KafkaJS writes binary header values, which node-rdkafka's producer turns into strings.
    for (const partition of [0, 1]) {
      const list = mixed(partition);
      produced.set(partition, list);
      await producer.send({ topic, acks: -1, messages: list.map((m) => ({ partition, value: m.value, key: m.key, headers: m.headers as IHeaders, timestamp: m.timestamp })) });
    }
  } finally {
    await producer.disconnect();
  }
  return produced;
}

function newConsumer(handoff: Handoff): KafkaConsumer {
  const c = new Kafka.KafkaConsumer(
    { 'bootstrap.servers': brokers(), 'group.id': uniqueName('handoff'), 'enable.auto.commit': false, 'enable.partition.eof': true },
    { 'auto.offset.reset': 'earliest' },
  );
  c.setConsumeHandoff(handoff);
  return c;
}

function consume(c: KafkaConsumer, n: number): Promise<Message[]> {
  return new Promise((resolve, reject) => c.consume(n, (err, messages) => (err ? reject(err) : resolve(messages))));
}

/** Reads every partition from offset 0 until each has reported its end. */
async function readAll(topic: string, handoff: Handoff, batchSize: number): Promise<Read> {
  const c = newConsumer(handoff);
  await new Promise<void>((resolve, reject) => c.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  const read: Read = { events: new Map(), batches: [], dataInOrder: [] };
  const ended = new Set<number>();
  const on = (p: number) => read.events.get(p) ?? read.events.set(p, []).get(p)!;
  c.on('data', (m: Message) => {
    on(m.partition).push({ data: m });
    read.dataInOrder.push(m);
  });
  c.on('partition.eof', (e: { partition: number }) => {
    on(e.partition).push({ eof: e });
    ended.add(e.partition);
  });
  try {
    c.setDefaultConsumeTimeout(200);
    c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })));
    const deadline = Date.now() + 60_000;
    while (ended.size < PARTITIONS) {
      if (Date.now() > deadline) throw new Error(`${handoff}/${batchSize}: only partitions ${[...ended]} reached their end in 60 s`);
      read.batches.push(await consume(c, batchSize));
    }
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
  return read;
}

/** Property names in order, per event: the same shape, headers present only where they were. */
function shapes(read: Read): Map<number, string[][]> {
  return new Map([...read.events].map(([p, evs]) => [p, evs.map((e) => ('data' in e ? Object.keys(e.data) : ['eof', ...Object.keys(e.eof as object)]))]));
}

describe("node-rdkafka's columnar consume hand-off (our patch)", () => {
  let topic: string;
  let produced: Map<number, Produced[]>;

  before(async () => {
    topic = uniqueName('handoff');
    await createTopic(topic, PARTITIONS);
    produced = await produce(topic);
  });

  for (const batchSize of [1, 5, 1000]) {
    test(`consume(${batchSize}) gives the same messages and EOF events as the published per-message conversion`, async () => {
      const reference = await readAll(topic, 'objects', batchSize);
      const columnar = await readAll(topic, 'columnar', batchSize);

      assert.deepEqual(shapes(columnar), shapes(reference));
      // deepEqual compares Buffers byte by byte: value, key and header values, and every other field.
      assert.deepEqual(columnar.events, reference.events);
      for (const read of [reference, columnar]) {
        assert.deepEqual(read.batches.flat().map((m, i) => m === read.dataInOrder[i]), read.dataInOrder.map(() => true), "consume() calls back with the objects 'data' emitted");
      }

      // And both are what was produced: the comparison above is not between two equal mistakes.
      for (const [partition, list] of produced) {
        const got = columnar.events.get(partition)!;
        const data = got.filter((e): e is { data: Message } => 'data' in e).map((e) => e.data);
        assert.equal(data.length, list.length);
        list.forEach((want, offset) => {
          const m = data[offset];
          assert.equal(m.offset, offset);
          assert.equal(m.topic, topic);
          assert.deepEqual(m.value, want.value, `value at ${partition}/${offset}`);
          assert.deepEqual(m.key, want.key, `key at ${partition}/${offset}`);
          assert.equal(m.size, want.value?.length ?? 0);
          if (want.timestamp) assert.equal(m.timestamp, Number(want.timestamp));
        });
        assert.deepEqual(got.at(-1), { eof: { topic, partition, offset: list.length } }, 'the partition ends with one EOF event, after its last message');
      }
      assert.deepEqual(columnar.events.get(2), [{ eof: { topic, partition: 2, offset: 0 } }]);

      const withHeaders = columnar.dataInOrder.find((m) => m.partition === 0 && m.value?.toString() === 'with headers')!;
      assert.deepEqual(withHeaders.headers, [
        { 'trace-id': Buffer.from('abc') },
        { bin: produced.get(0)!.find((m) => m.value?.toString() === 'with headers')!.headers!.bin },
        { empty: Buffer.alloc(0) },
        { repeated: Buffer.from('one') },
        { repeated: Buffer.from('two') },
        { ключ: Buffer.from('значение') },
      ]);
      const emptyHeaders = columnar.dataInOrder.find((m) => m.value?.toString() === 'an empty headers object')!;
      assert.equal('headers' in emptyHeaders, false, 'a message without headers has no headers property');
    });
  }

  test("columnar values and keys are views into one buffer per batch (the documented difference), as the consumer's start-up check says", async () => {
    const read = await readAll(topic, 'columnar', 1000);
    const batch = read.batches.find((b) => b.filter((m) => m.value).length > 1)!;
    const shared = new Set(batch.flatMap((m) => [m.value, m.key]).filter((b): b is Buffer => b !== null).map((b) => b.buffer));
    assert.equal(shared.size, 1, 'one ArrayBuffer behind the whole batch');
    assert.ok(batch.some((m) => m.value && m.value.byteOffset > 0));
    assert.deepEqual(checkConsumeHandoff(), { handoff: 'columnar' }, 'the check the consumer logs and exports agrees with what the addon did');
  });

  test('a consume error reaches the callback the same way on both paths', async () => {
    const errors: Record<Handoff, { code: number; message: string }> = {} as never;
    for (const handoff of ['objects', 'columnar'] as const) {
      const c = newConsumer(handoff); // never connected
      const err = await new Promise<LibrdKafkaError>((resolve) => c.consume(10, (e) => resolve(e)));
      errors[handoff] = { code: err.code, message: err.message };
    }
    assert.equal(errors.objects.code, Kafka.CODES.ERRORS.ERR__STATE);
    assert.deepEqual(errors.columnar, errors.objects);
  });
});
