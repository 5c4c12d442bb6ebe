import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
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
  headers?: Record<string, Buffer | string | null | (Buffer | string)[]>;
  timestamp?: string;
}

/** What the application sees of one read: per partition ("topic/partition"), every 'data' and 'partition.eof' event in order. */
interface Read {
  events: Map<string, ({ data: Message } | { eof: unknown })[]>;
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

/** Writes each list to its partition of topic 0. */
async function produceTo(topic: string, lists: Map<number, Produced[]>): Promise<void> {
  const kafka = new KafkaJS({ clientId: 'handoff-test', brokers: brokers().split(','), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // KafkaJS writes binary and null header values, which node-rdkafka's producer cannot.
    for (const [partition, list] of lists) {
      await producer.send({ topic, acks: -1, messages: list.map((m) => ({ partition, value: m.value, key: m.key, headers: m.headers as IHeaders, timestamp: m.timestamp })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Topic n's messages for the two-topic batch: without headers, and with headers of several kinds
 * (repeated keys, a key only one message has, a null value, an empty value, a key spelled like
 * the other topic's name), interleaved.
 */
function headerMix(n: number, otherTopic: string): Produced[] {
  return Array.from({ length: 16 }, (_, i): Produced => {
    const value = Buffer.from(`topic ${n}, message ${i}`);
    switch (i % 4) {
      case 0:
        return { value, key: null };
      case 1:
        return { value, key: Buffer.from(`k${i}`), headers: { 'trace-id': `t-${n}-${i}`, tenant: `tenant-${i % 3}` } };
      case 2:
        return { value, key: null, headers: { gone: null, [`only-${n}-${i}`]: 'a key no other message has', 'trace-id': `t-${n}-${i}` } };
      default:
        return { value: null, key: Buffer.from(`k${i}`), headers: { [otherTopic]: 'a header key that is also a topic name', tenant: Buffer.alloc(0) } };
    }
  });
}

/** The headers property node-rdkafka gives for what KafkaJS produced: a null value reads as an empty Buffer. */
function expectedHeaders(p: Produced): { [key: string]: Buffer }[] | undefined {
  if (p.headers === undefined) return undefined;
  return Object.entries(p.headers).flatMap(([key, v]) => [v].flat().map((one) => ({ [key]: one === null ? Buffer.alloc(0) : Buffer.from(one) })));
}

/**
 * Writes text messages to partition 0 with Kafka's own console producer: KafkaJS cannot send a
 * null header value (it measures the value before checking for null), node-rdkafka's producer
 * turns every header value into a string. NULL stands for a null key, value or header value, and
 * for "no headers".
 */
function consoleProduce(topic: string, list: Produced[]): void {
  const text = (b: Buffer | string | null) => (b === null ? 'NULL' : b.toString());
  const lines = list.map((m) => {
    const headers = m.headers ? Object.entries(m.headers).flatMap(([k, v]) => [v].flat().map((one) => `${k}:${text(one)}`)).join(',') : 'NULL';
    return `${headers}\t${text(m.key)}\t${text(m.value)}\n`;
  });
  const libs = execFileSync(path.resolve(__dirname, '../../../scripts/kafka-jars.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const props = ['parse.key=true', 'parse.headers=true', 'null.marker=NULL'].flatMap((p) => ['--property', p]);
  execFileSync('java', ['-Xmx256m', '-cp', `${libs}/*`, 'org.apache.kafka.tools.ConsoleProducer', '--bootstrap-server', brokers(), '--topic', topic, ...props], {
    input: lines.join(''),
    stdio: ['pipe', 'ignore', 'inherit'],
    timeout: 120_000,
  });
}

async function produce(topic: string): Promise<Map<number, Produced[]>> {
  const produced = new Map([0, 1].map((partition) => [partition, mixed(partition)]));
  await produceTo(topic, produced);
  return produced;
}

/** The columnar hand-off's options; maxBatchBytes lowers the bytes a batch may carry in columns. */
interface HandoffOptions {
  maxBatchBytes?: number;
}

function newConsumer(handoff: Handoff, offsetReset: 'earliest' | 'error' = 'earliest', debug?: string, options?: HandoffOptions): KafkaConsumer {
  const c = new Kafka.KafkaConsumer(
    { 'bootstrap.servers': brokers(), 'group.id': uniqueName('handoff'), 'enable.auto.commit': false, 'enable.partition.eof': true, ...(debug ? { debug } : {}) },
    { 'auto.offset.reset': offsetReset },
  );
  if (options) c.setConsumeHandoff(handoff, options);
  else c.setConsumeHandoff(handoff);
  return c;
}

function consume(c: KafkaConsumer, n: number): Promise<Message[]> {
  return new Promise((resolve, reject) => c.consume(n, (err, messages) => (err ? reject(err) : resolve(messages))));
}

function connected(c: KafkaConsumer): Promise<void> {
  return new Promise<void>((resolve, reject) => c.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
}

/** Reads every partition of the topics from offset 0 until each has reported its end. */
async function readAll(topics: string | string[], handoff: Handoff, batchSize: number, partitions = PARTITIONS, options?: HandoffOptions): Promise<Read> {
  const c = newConsumer(handoff, 'earliest', undefined, options);
  await connected(c);
  const read: Read = { events: new Map(), batches: [], dataInOrder: [] };
  const ended = new Set<string>();
  const on = (tp: string) => read.events.get(tp) ?? read.events.set(tp, []).get(tp)!;
  c.on('data', (m: Message) => {
    on(`${m.topic}/${m.partition}`).push({ data: m });
    read.dataInOrder.push(m);
  });
  c.on('partition.eof', (e: { topic: string; partition: number }) => {
    on(`${e.topic}/${e.partition}`).push({ eof: e });
    ended.add(`${e.topic}/${e.partition}`);
  });
  try {
    c.setDefaultConsumeTimeout(200);
    const assignment = [topics].flat().flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
    c.assign(assignment);
    const deadline = Date.now() + 60_000;
    while (ended.size < assignment.length) {
      if (Date.now() > deadline) throw new Error(`${handoff}/${batchSize}: only partitions ${[...ended]} reached their end in 60 s`);
      read.batches.push(await consume(c, batchSize));
    }
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
  return read;
}

/** Every Buffer of a message: value, key and header values. */
function buffersOf(m: Message): Buffer[] {
  const headers = (m.headers ?? []).flatMap((h) => Object.values(h) as Buffer[]);
  return [m.value, m.key, ...headers].filter((b): b is Buffer => b !== null && b !== undefined);
}

/**
 * How a batch was handed over, told from its Buffers: views into one ArrayBuffer (columnar), or
 * each Buffer with an ArrayBuffer of its own (the per-message conversion). A batch with fewer
 * than two Buffers cannot be told apart.
 */
function handedOver(batch: Message[]): 'columnar' | 'objects' | 'unknown' | 'mixed' {
  const buffers = batch.flatMap(buffersOf);
  if (buffers.length < 2) return 'unknown';
  const arrayBuffers = new Set(buffers.map((b) => b.buffer)).size;
  return arrayBuffers === 1 ? 'columnar' : arrayBuffers === buffers.length ? 'objects' : 'mixed';
}

/** The bytes the columnar hand-off copies for a batch: values, keys and header values. */
const batchBytes = (batch: Message[]) => batch.flatMap(buffersOf).reduce((n, b) => n + b.length, 0);

/** Property names in order, per event: the same shape, headers present only where they were. */
function shapes(read: Read): Map<string, string[][]> {
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
        const got = columnar.events.get(`${topic}/${partition}`)!;
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
      assert.deepEqual(columnar.events.get(`${topic}/2`), [{ eof: { topic, partition: 2, offset: 0 } }]);

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

  // The 1 GiB limit (Nan::NewBuffer's) is the default and the most maxBatchBytes accepts; a batch
  // over the limit falls back to the published conversion by itself. Lowered, the same branch runs
  // on this topic: 316 is the bytes of the message with a 300-byte value and a 16-byte key (alone
  // in a batch of 1, at the limit, then 1 byte over it); 2048 bytes splits batches of 5 and 1000
  // into both kinds (every 1 MiB value is over it, most batches of 5 small messages are not).
  for (const [batchSize, limits] of [
    [1, [316, 315]],
    [5, [2048]],
    [1000, [2048]],
  ] as const) {
    test(`consume(${batchSize}) with maxBatchBytes ${limits.join(', then ')}: a batch over the limit arrives through the per-message conversion, the same messages and EOF events as the published one; a batch at or under it stays columnar`, async () => {
      const reference = await readAll(topic, 'objects', batchSize);
      const multi = reference.batches.filter((b) => handedOver(b) !== 'unknown');
      assert.ok(multi.length > 0 && multi.every((b) => handedOver(b) === 'objects'), 'the published conversion gives each Buffer its own ArrayBuffer');

      for (const maxBatchBytes of limits) {
        const read = await readAll(topic, 'columnar', batchSize, PARTITIONS, { maxBatchBytes });
        assert.deepEqual(shapes(read), shapes(reference));
        assert.deepEqual(read.events, reference.events);
        assert.deepEqual(read.batches.flat().map((m, i) => m === read.dataInOrder[i]), read.dataInOrder.map(() => true), "consume() calls back with the objects 'data' emitted");

        const kinds = { columnar: 0, objects: 0 };
        for (const batch of read.batches) {
          const how = handedOver(batch);
          if (how === 'unknown') continue;
          const want = batchBytes(batch) > maxBatchBytes ? 'objects' : 'columnar';
          assert.equal(how, want, `a batch of ${batch.length} messages, ${batchBytes(batch)} bytes, limit ${maxBatchBytes}`);
          kinds[how]++;
        }
        assert.ok(kinds.objects > 0, `no batch over ${maxBatchBytes} bytes was read (${JSON.stringify(kinds)})`);
        if (batchSize < 1000) assert.ok(kinds.columnar > 0, `no batch within ${maxBatchBytes} bytes was read (${JSON.stringify(kinds)})`);

        if (batchSize === 1) {
          const batch = read.batches.find((b) => b.length === 1 && b[0]!.value?.length === 300)!;
          assert.equal(batchBytes(batch), 316);
          assert.equal(handedOver(batch), maxBatchBytes >= 316 ? 'columnar' : 'objects', `the 316-byte message with the limit at ${maxBatchBytes}`);
        }
      }
    });
  }

  test('maxBatchBytes must be a whole number of bytes from 1 to 1 GiB - 1; anything else is a TypeError naming that range', () => {
    const c = new Kafka.KafkaConsumer({ 'group.id': uniqueName('handoff') }, {}); // never connected
    for (const bad of [0, -1, 1.5, 0x40000000, Number.NaN, Number.POSITIVE_INFINITY, '1024', null]) {
      assert.throws(
        () => c.setConsumeHandoff('columnar', { maxBatchBytes: bad as number }),
        (err: Error) => err instanceof TypeError && err.message.includes('1 to 1073741823'),
        `maxBatchBytes ${String(bad)}`,
      );
    }
    assert.throws(() => c.setConsumeHandoff('columnar', { maxBatchSize: 1024 } as unknown as HandoffOptions), TypeError, 'a misspelt option');
    for (const good of [1, 4096, 0x3fffffff]) c.setConsumeHandoff('columnar', { maxBatchBytes: good });
    c.setConsumeHandoff('objects');
    c.setConsumeHandoff('columnar', {});
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

  test('one batch with two topics, different headers on several messages, messages without headers between them and null header values: the same as the published conversion', async () => {
    const topics = [uniqueName('handoff-a'), uniqueName('handoff-b')];
    const lists = [headerMix(0, topics[1]), headerMix(1, topics[0])];
    for (const [n, t] of topics.entries()) {
      await createTopic(t, 1);
      consoleProduce(t, lists[n]);
    }
    // Whether one consume() gets both topics depends on the fetches: read again (at most three
    // times) until a columnar batch held both, so that the comparison covers that case.
    const bothTopics = (read: Read) => read.batches.some((b) => new Set(b.map((m) => m.topic)).size === 2);
    let reads: [Read, Read] = [await readAll(topics, 'objects', 1000, 1), await readAll(topics, 'columnar', 1000, 1)];
    for (let attempt = 2; !bothTopics(reads[1]); attempt++) {
      assert.ok(attempt <= 3, 'no consume(1000) returned messages of both topics in three reads');
      reads = [await readAll(topics, 'objects', 1000, 1), await readAll(topics, 'columnar', 1000, 1)];
    }
    const [reference, columnar] = reads;
    assert.deepEqual(shapes(columnar), shapes(reference));
    assert.deepEqual(columnar.events, reference.events);

    for (const [n, t] of topics.entries()) {
      const data: Message[] = columnar.events.get(`${t}/0`)!.filter((e): e is { data: Message } => 'data' in e).map((e) => e.data);
      assert.deepEqual(data.map((m) => m.topic), lists[n].map(() => t));
      assert.deepEqual(data.map((m) => m.value), lists[n].map((p) => p.value));
      assert.deepEqual(data.map((m) => m.key), lists[n].map((p) => p.key));
      assert.deepEqual(data.map((m) => m.headers), lists[n].map(expectedHeaders), `headers of ${t}`);
    }
  });

  test('an error after only partition EOF events in one consume() reaches the callback the same way on both paths', async () => {
    const outcome = {} as Record<Handoff, unknown>;
    for (const handoff of ['objects', 'columnar'] as const) {
      // 'error': an offset past the end becomes a consume error instead of a reset. The fetch log
      // says when partition 2's EOF has been queued.
      const c = newConsumer(handoff, 'error', 'fetch');
      await connected(c);
      let eofQueued: () => void = () => {};
      const queued = new Promise<void>((resolve) => (eofQueued = resolve));
      c.on('event.log', (log: { message: string }) => {
        if (/\[2\]: Fetch failed at offset 0 .*_PARTITION_EOF/.test(log.message)) eofQueued();
      });
      const events: unknown[] = [];
      c.on('data', (m: Message) => events.push(['data', m.partition, m.offset]));
      c.on('partition.eof', (e: { partition: number; offset: number }) => events.push(['eof', e.partition, e.offset]));
      try {
        // Partition 2 is empty: its EOF is the batch's first entry, and with no message yet the
        // worker waits on (up to this timeout) for one. Once the EOF is queued (and 1 s more for
        // the waiting worker to take it), partition 0 is assigned at an offset it does not have,
        // and its error ends the batch.
        c.setDefaultConsumeTimeout(20_000);
        c.assign([{ topic, partition: 2, offset: 0 }]);
        const result = new Promise<{ code?: number; messages?: number }>((resolve) =>
          c.consume(1000, (err, messages) => resolve({ code: err?.code, messages: messages?.length })),
        );
        await Promise.race([
          queued,
          new Promise((_, reject) => setTimeout(() => reject(new Error("no fetch log line said partition 2's EOF was queued in 30 s")), 30_000).unref()),
        ]);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        c.assign([
          { topic, partition: 2, offset: 0 },
          { topic, partition: 0, offset: 1_000_000 },
        ]);
        outcome[handoff] = { ...(await result), events };
      } finally {
        await new Promise<void>((resolve) => c.disconnect(() => resolve()));
      }
    }
    // The published conversion drops the EOF events of a batch that ends in an error.
    assert.deepEqual(outcome.objects, { code: Kafka.CODES.ERRORS.ERR__AUTO_OFFSET_RESET, messages: undefined, events: [] });
    assert.deepEqual(outcome.columnar, outcome.objects);
  });
  test("the batches' memory is given back: reading 150 MiB more through the hand-off leaves the process about as big as after the first 100", async () => {
    // Each batch's values live in one buffer the addon allocates and hands to V8 with a free
    // callback. Were that buffer never freed, every batch read would stay in the process.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const big = uniqueName('handoff-memory');
    await createTopic(big, 1);
    const value = Buffer.alloc(64 * 1024, 0x62);
    // In sends of 2.5 MiB: the broker takes at most 4 MiB per request.
    for (let i = 0; i < 10; i++) await produceTo(big, new Map([[0, Array.from({ length: 40 }, (): Produced => ({ value, key: null }))]]));
    // A small prefetch queue: librdkafka's own buffers then stay the same size from round to round.
    const c = new Kafka.KafkaConsumer(
      { 'bootstrap.servers': brokers(), 'group.id': uniqueName('handoff'), 'enable.auto.commit': false, 'queued.max.messages.kbytes': 8192 },
      { 'auto.offset.reset': 'earliest' },
    );
    c.setConsumeHandoff('columnar');
    await connected(c);
    const settled = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 50));
      }
      return process.memoryUsage().rss;
    };
    const rounds: number[] = [];
    let bytes = 0;
    try {
      c.setDefaultConsumeTimeout(200);
      for (let round = 0; round < 10; round++) {
        c.assign([{ topic: big, partition: 0, offset: 0 }]);
        let read = 0;
        const deadline = Date.now() + 60_000;
        while (read < 400) {
          if (Date.now() > deadline) throw new Error(`round ${round}: read ${read} of 400 messages in 60 s`);
          for (const m of await consume(c, 100)) {
            read++;
            bytes += m.value?.length ?? 0;
          }
        }
        c.unassign();
        rounds.push(await settled());
      }
    } finally {
      await new Promise<void>((resolve) => c.disconnect(() => resolve()));
    }
    const mib = (n: number) => Math.round(n / 2 ** 20);
    assert.ok(bytes >= 10 * 400 * value.length, `read ${mib(bytes)} MiB`);
    // The batches are allocated on node-rdkafka's worker threads, and each thread's malloc arena
    // keeps what it freed for reuse: resident memory climbs by about 20 MiB over the first rounds,
    // then stays (measured: 89-134 MiB after the first round, flat from the fourth or sixth). The
    // six rounds after the fourth moved 150 MiB through batch buffers; kept, they would all show.
    const growth = rounds[9]! - rounds[3]!;
    assert.ok(growth < 50 * 2 ** 20, `resident memory after each round, MiB: ${rounds.map(mib).join(', ')} (grew ${mib(growth)} MiB)`);
  });
});
