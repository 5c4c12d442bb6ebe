import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort, openForwarder, type SilenceableProxy } from '../support/broker';
import { ConsumerProcess, endedAfterSuite } from '../support/consumer-process';
import { brokers, createTopic, uniqueName } from '../support/kafka';
import { startObserver } from '../support/observer';
import { waitFor } from '../support/wait';

const MAIN = path.resolve(__dirname, '../../src/main.js');

/** `node dist/src/main.js <args>` as a participant or the instructor runs it; stdout by line. */
function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    out.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited, stderr: () => stderr };
}

const check = async (args: string[]) => {
  const r = run(['join', '--check-only', ...args]);
  const code = await r.exited;
  return { code, out: r.out, stderr: r.stderr() };
};

describe("join: a participant's checks against a real broker", () => {
  const running = endedAfterSuite();
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  test('every check passes against a reachable broker and a group without members', async () => {
    const r = await check(['--name', 'alice', '--bootstrap', brokers(), '--group', uniqueName('join')]);
    assert.equal(r.code, 0, r.out.join('\n') + r.stderr);
    assert.deepEqual(r.out.map((l) => l.slice(0, 4)), ['ok  ', 'ok  ', 'ok  ', 'ok  ', 'all '], r.out.join('\n'));
    assert.match(r.out[3], /has no members yet/);
  });

  test('nothing listening at the address: exit 10, saying nothing answers', async () => {
    const r = await check(['--name', 'alice', '--bootstrap', `127.0.0.1:${await freePort()}`]);
    assert.equal(r.code, 10);
    assert.match(r.out[0], /^FAIL address: nothing answers at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  test('something that is not Kafka at the address: exit 11', async () => {
    // A port that accepts and closes every connection, as a web server or a wrong service might.
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    });
    const r = await check(['--name', 'alice', '--bootstrap', `127.0.0.1:${(server.address() as net.AddressInfo).port}`]);
    assert.equal(r.code, 11, r.out.join('\n'));
    assert.match(r.out[0], /^ok {3}address/);
    assert.match(r.out[1], /^FAIL kafka: .* did not answer as Kafka/);
  });

  test('Kafka reached through one address but advertising a loopback one: exit 12, naming KAFKA_EXTERNAL_HOST', async () => {
    // The participant's view of a stack left at KAFKA_EXTERNAL_HOST=127.0.0.1: bootstrap through a
    // forwarder, and the broker answers with its own 127.0.0.1 address instead.
    const port = await freePort();
    const fwd: SilenceableProxy = await openForwarder(port, brokers());
    closers.push(() => fwd.close());
    const r = await check(['--name', 'alice', '--bootstrap', `127.0.0.1:${port}`]);
    assert.equal(r.code, 12, r.out.join('\n'));
    assert.match(r.out[1], /^ok {3}kafka/);
    assert.match(r.out[2], new RegExp(`^FAIL advertised address: .*tells clients to use ${brokers().replace(/\./g, '\\.')}, a loopback address`));
    assert.match(r.out[2], /KAFKA_EXTERNAL_HOST/);
  });

  describe('a cooperative-sticky group with a member', () => {
    const topic = uniqueName('join');
    const group = uniqueName('join-coop');

    test('refuses an eager client before it joins: exit 13, telling it to use --protocol cooperative', async () => {
      await createTopic(topic, 4);
      const owner = await ConsumerProcess.start('owner', { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, LAB_PROTOCOL: 'cooperative', LOG_LEVEL: 'info' });
      running.push(owner);
      await waitFor(async () => ((await owner.owned()) ?? []).length === 4, { timeoutMs: 60_000, what: 'the first member to own the partitions' });
      const r = await check(['--name', 'eve', '--bootstrap', brokers(), '--topic', topic, '--group', group, '--protocol', 'eager']);
      assert.equal(r.code, 13, r.out.join('\n'));
      assert.match(r.out[3], /^FAIL group protocol: .*classic, assignor cooperative-sticky.*refuses LAB_PROTOCOL=eager.*--protocol cooperative/);
    });

    test('accepts a cooperative client, which joins, prints the partitions it owns, shows in lab status and leaves on Ctrl-C', async () => {
      const alice = run(['join', '--name', 'alice', '--bootstrap', brokers(), '--topic', topic, '--group', group]);
      closers.push(async () => {
        if (alice.child.exitCode === null) alice.child.kill('SIGKILL');
      });
      // cooperative-sticky gives the newcomer half of the four partitions.
      await waitFor(() => alice.out.some((l) => /alice owns 2 partitions of /.test(l)), { timeoutMs: 60_000, what: 'alice to own 2 partitions' });
      assert.match(alice.out[3], /^ok {3}group protocol: .*accepts LAB_PROTOCOL=cooperative/);

      const observer = await startObserver({ KAFKA_TOPIC: topic });
      running.push(observer);
      let lines: string[] = [];
      await waitFor(
        async () => {
          const s = run(['status'], { LAB_OBSERVER_URL: `http://127.0.0.1:${observer.port}`, LAB_LOADGEN_URL: `http://127.0.0.1:${await freePort()}` });
          assert.equal(await s.exited, 0, s.out.join('\n'));
          lines = s.out;
          return lines.some((l) => /^ {2}alice +\S+ +\S+ +\S+$/.test(l)) && lines.some((l) => /^ {2}owner /.test(l));
        },
        { timeoutMs: 30_000, intervalMs: 1000, what: 'alice and owner in lab status' },
      );
      assert.match(lines.find((l) => l.startsWith(`group ${group}`))!, /classic cooperative-sticky, Stable, 2 members/);
      assert.match(lines.find((l) => l.includes('MEMBER'))!, /MEMBER +HOST +PARTITIONS +LAG/);
      const row = lines.find((l) => /^ {2}alice /.test(l))!.trim().split(/ +/);
      assert.equal(row[2].split(',').length, 2, `alice's partitions in ${row.join(' ')}`);

      alice.child.kill('SIGINT');
      assert.equal(await alice.exited, 0);
      assert.match(alice.out.at(-1)!, new RegExp(`alice left group ${group}`));
    });
  });

  test('lab status with the observer down says what to check and exits 1', async () => {
    const s = run(['status'], { LAB_OBSERVER_URL: `http://127.0.0.1:${await freePort()}` });
    assert.equal(await s.exited, 1);
    assert.match(s.out[0], /cannot reach http:\/\/127\.0\.0\.1:\d+\/groups \(ECONNREFUSED\): is the stack up/);
  });
});
