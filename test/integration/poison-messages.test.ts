import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConsumerProcess, metricValue, endedAfterSuite } from '../support/consumer-process';
import { LabProducer, committedOffsets, createTopic, endOffsets, uniqueName } from '../support/kafka';
import { allProcessed } from '../support/group';
import { waitFor } from '../support/wait';

describe('messages that are not ours', () => {
  const running = endedAfterSuite();

  test('text, binary, 1 MiB and empty messages are counted, logged once per kind, committed, and the consumer keeps going', async (t) => {
    const topic = uniqueName('poison');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    const producer = await LabProducer.connect(topic);
    t.after(() => producer.close());
    await producer.produce(1, 3);
    await producer.produceRaw(0, Buffer.from('hello, not json'));
    await producer.produceRaw(0, Buffer.from('{"truncated": '));
    await producer.produceRaw(0, randomBytes(512));
    await producer.produceRaw(0, Buffer.alloc(1024 * 1024, 0x61));
    await producer.produceRaw(0, Buffer.alloc(0));
    await producer.produceRaw(0, null);
    await producer.produceRaw(0, Buffer.from('{"seq": "x"}'));
    await producer.produce(1, 3);

    const c = await ConsumerProcess.start('c', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '0' });
    running.push(c);
    await allProcessed([c], producer.produced());

    const m = await c.metrics();
    assert.equal(metricValue(m, 'lab_consumer_invalid_messages_total', { reason: 'not_json' }), 4);
    assert.equal(metricValue(m, 'lab_consumer_invalid_messages_total', { reason: 'empty' }), 2);
    assert.equal(metricValue(m, 'lab_consumer_invalid_messages_total', { reason: 'not_lab_message' }), 1);
    assert.equal(metricValue(m, 'lab_consumer_messages_processed_total', { partition: '0' }), 13, 'every message counts as processed');
    assert.equal(metricValue(m, 'lab_consumer_sequence_gaps_total', { partition: '0' }), 0);

    const warnings = c.lines.filter((l) => l.level === 'warn' && l.reason !== undefined);
    assert.deepEqual(warnings.map((l) => l.reason).sort(), ['empty', 'not_json', 'not_lab_message'], 'one warning per kind, not per message');

    const end = await endOffsets(topic, 1);
    await waitFor(async () => (await committedOffsets(group, topic, 1)).get(0) === end.get(0), {
      what: 'the committed offset to move past the bad messages',
    });
    assert.equal(c.exitCode, null, 'still running');
    assert.equal(await c.readyz(), 200);
    await producer.close();
  });
});
