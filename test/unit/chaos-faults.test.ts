import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { seededRandom } from '../chaos/audit';
import { FAULTS, faultOrder, faultsNamed } from '../chaos/faults';

const RUN = path.resolve(__dirname, '../chaos/run.js');

describe("the chaos test's steps", () => {
  test('a seed still draws the steps it drew in CI: seed 760044 on KIP-848 began kill -9, broker restart', () => {
    // run.ts seeds the KIP-848 run with seed + 1.
    const order = faultOrder(FAULTS, 8, seededRandom(760044 + 1));
    assert.deepEqual(order, [
      'kill -9',
      'broker restart',
      'broker restart',
      'SIGSTOP past the session',
      'SIGSTOP past the session',
      'SIGTERM and restart',
      'SIGTERM and restart',
      'kill -9',
    ]);
  });

  test('CHAOS_FAULTS narrows the steps to the kinds named, each as often as the others', () => {
    assert.deepEqual(faultOrder(faultsNamed(['broker-restart']), 5, seededRandom(3)), Array(5).fill('broker restart'));
    const two = faultOrder(faultsNamed(['kill-9', 'sigstop']), 6, seededRandom(3));
    assert.equal(two.filter((f) => f === 'kill -9').length, 3);
    assert.equal(two.filter((f) => f === 'SIGSTOP past the session').length, 3);
  });

  test('an unknown CHAOS_FAULTS value stops the run before any broker starts, naming the variable and the accepted values', () => {
    const r = spawnSync(process.execPath, [RUN], { env: { PATH: process.env.PATH, CHAOS_FAULTS: 'broker-restart,reboot' }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /CHAOS_FAULTS=broker-restart,reboot is not accepted: expected a comma-separated list of kill-9, sigterm, sigstop, broker-restart/);
  });
});
