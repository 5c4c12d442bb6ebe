import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

// An install without the optional observer client (npm ci --omit=optional, image target consumer),
// played by making Node's resolver fail for that one package exactly as it fails when the folder is absent.
const dir = mkdtempSync(path.join(tmpdir(), 'no-observer-client-'));
const hide = path.join(dir, 'hide.js');
writeFileSync(
  hide,
  `const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@confluentinc/kafka-javascript' || request.startsWith('@confluentinc/kafka-javascript/')) {
    const err = new Error("Cannot find module '" + request + "'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
`,
);
after(() => rmSync(dir, { recursive: true, force: true }));

const MAIN = path.resolve(__dirname, '../../src/main.js');
const run = (program: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ['--require', hide, MAIN, program], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });

describe('installed without the observer client', () => {
  test('the observer stops at start with one line naming the package and how to install it', () => {
    const r = run('observer', {});
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /@confluentinc\/kafka-javascript/);
    assert.match(lines[0], /npm ci/);
  });

  for (const program of ['consumer', 'loadgen']) {
    test(`the ${program} does not need it (it reaches its configuration check)`, () => {
      const r = run(program, { KAFKA_BROKERS: 'no-port-here' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /KAFKA_BROKERS/);
      assert.doesNotMatch(r.stderr, /kafka-javascript/);
    });
  }
});
