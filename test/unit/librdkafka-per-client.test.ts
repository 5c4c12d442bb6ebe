import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';

// node-rdkafka (consumers, load generator) and @confluentinc/kafka-javascript (the observer) each
// ship a librdkafka.so.1. The dynamic loader reuses a library already loaded under the same
// soname, so the first addon a process loads decides the librdkafka of both: the observer's
// client once ran on node-rdkafka's 2.12.0 without our fix for the coordinator abort (issue 17).
const SRC = path.resolve(__dirname, '../../src');
const versions = (module: string) => {
  const program = `require(${JSON.stringify(module)});
const report = {};
for (const name of ['node-rdkafka', '@confluentinc/kafka-javascript']) {
  if (Object.keys(require.cache).some((f) => f.includes('/node_modules/' + name + '/'))) {
    report[name] = { loaded: require(name).librdkafkaVersion, bundled: require(name + '/package.json').librdkafka };
  }
}
process.stdout.write(JSON.stringify(report));
process.exit(0);`;
  const r = spawnSync(process.execPath, ['-e', program], { cwd: SRC, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, { loaded: string; bundled: string }>;
};

describe('each Kafka client runs on the librdkafka it was built and patched with', () => {
  test("the observer's Kafka client process: @confluentinc/kafka-javascript on its own librdkafka, node-rdkafka not loaded", () => {
    const v = versions(path.join(SRC, 'observer/kafka-client-process.js'));
    assert.ok(v['@confluentinc/kafka-javascript'], 'the client process loads @confluentinc/kafka-javascript');
    assert.equal(v['@confluentinc/kafka-javascript']!.loaded, v['@confluentinc/kafka-javascript']!.bundled);
    assert.equal(v['node-rdkafka'], undefined, 'node-rdkafka loaded first would lend the observer its librdkafka');
  });

  test('a consumer and the load generator: node-rdkafka on its own librdkafka', () => {
    for (const module of ['consumer/main.js', 'loadgen/main.js']) {
      const v = versions(path.join(SRC, module));
      assert.equal(v['node-rdkafka']?.loaded, v['node-rdkafka']?.bundled, module);
      assert.equal(v['@confluentinc/kafka-javascript'], undefined, module);
    }
  });
});
