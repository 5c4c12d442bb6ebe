import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MetadataBrokerLog, unreachableFromElsewhere } from '../../src/loadgen/external-listener';

describe('an advertised address other machines cannot use', () => {
  test('loopback and unspecified addresses, by number or by name, are flagged', () => {
    for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', 'LOCALHOST', 'kafka.localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '0.0.0.0', '::']) {
      assert.equal(unreachableFromElsewhere(host), true, host);
    }
  });

  test('LAN addresses and host names are not', () => {
    for (const host of ['192.168.1.23', '10.0.0.5', 'instructor.local', 'kafka', 'fe80::1', '128.0.0.1', 'localhost.example.com']) {
      assert.equal(unreachableFromElsewhere(host), false, host);
    }
  });
});

describe("the broker list read from librdkafka's metadata debug log", () => {
  // As librdkafka 2.12 logs a metadata response (rdkafka_metadata.c), after its thread and broker prefix.
  const line = (i: number, n: number, hostPort: string, id: number) => `[thrd:main]: 10.0.0.9:9094/bootstrap:   Broker #${i}/${n}: ${hostPort} NodeId ${id}`;

  test('answers once every broker of one response is seen, in order', () => {
    const log = new MetadataBrokerLog();
    assert.equal(log.line('[thrd:main]: 10.0.0.9:9094/bootstrap: ===== Received metadata: connected ====='), null);
    assert.equal(log.line(line(0, 3, '127.0.0.1:9094', 1)), null);
    assert.equal(log.line(line(1, 3, 'kafka-2:9094', 2)), null);
    assert.deepEqual(log.line(line(2, 3, 'kafka-3:9094', 3)), [
      { id: 1, host: '127.0.0.1', port: 9094 },
      { id: 2, host: 'kafka-2', port: 9094 },
      { id: 3, host: 'kafka-3', port: 9094 },
    ]);
  });

  test('a response cut short does not mix with the next one', () => {
    const log = new MetadataBrokerLog();
    log.line(line(0, 3, 'a:1', 1));
    log.line(line(1, 3, 'b:1', 2));
    assert.equal(log.line(line(0, 2, 'c:1', 3)), null);
    assert.deepEqual(log.line(line(1, 2, 'd:1', 4)), [
      { id: 3, host: 'c', port: 1 },
      { id: 4, host: 'd', port: 1 },
    ]);
  });

  test('an IPv6 host keeps its colons', () => {
    assert.deepEqual(new MetadataBrokerLog().line(line(0, 1, '::1:9094', 1)), [{ id: 1, host: '::1', port: 9094 }]);
  });

  test('other debug lines are ignored', () => {
    const log = new MetadataBrokerLog();
    for (const other of ['ClusterId: x, ControllerId: 1', '1 brokers, 0 topics', 'Topic lab-events with 12 partitions']) assert.equal(log.line(other), null);
  });
});
