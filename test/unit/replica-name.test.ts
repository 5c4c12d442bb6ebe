import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ptrName, resolveReplicaName, shortContainerName } from '../../src/consumer/replica-name';

const lookup = (table: Record<string, string[]>) => ({
  addresses: () => Object.keys(table),
  reverse: async (ip: string) => {
    if (!table[ip]?.length) throw new Error('ENOTFOUND');
    return table[ip];
  },
});

describe('the readable replica name', () => {
  test('CONSUMER_NAME wins', async () => {
    assert.equal(await resolveReplicaName('alice', lookup({ '172.18.0.5': ['lab-consumer-2.lab_default'] }), 'abc123'), 'alice');
  });

  test('in compose, the container name from reverse DNS (v2 and v1 spellings)', async () => {
    assert.equal(await resolveReplicaName(null, lookup({ '172.18.0.5': ['lab-consumer-2.lab_default'] }), 'abc123'), 'lab-consumer-2');
    assert.equal(await resolveReplicaName(null, lookup({ '172.18.0.5': ['lab_consumer_3.lab_default'] }), 'abc123'), 'lab-consumer-3');
  });

  test('outside compose, the host name', async () => {
    assert.equal(await resolveReplicaName(null, lookup({ '10.0.0.2': [] }), 'laptop'), 'laptop');
  });

  test("the PTR query name is the address's reverse-order octets", () => {
    assert.equal(ptrName('172.18.0.5'), '5.0.18.172.in-addr.arpa');
  });

  test('short names drop the network suffix', () => {
    assert.equal(shortContainerName('lab-consumer-1.lab_default'), 'lab-consumer-1');
  });
});
