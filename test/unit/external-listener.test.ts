import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { unreachableFromElsewhere } from '../../src/loadgen/external-listener';

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
