import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJoinArgs, UsageError } from '../../src/join/args';
import { JOIN_EXIT, advertisedVerdict, bootstrapVerdict, describeSettled, groupVerdict, kafkaMetadataVerdict, parseHostPort, type GroupFacts, type OurProtocol } from '../../src/join/checks';
import { heartbeatLine, ownedLine, samePartitions } from '../../src/join/report';

const eager: OurProtocol = { lab: 'eager', groupProtocol: 'classic', assignmentStrategy: 'range' };
const cooperative: OurProtocol = { lab: 'cooperative', groupProtocol: 'classic', assignmentStrategy: 'cooperative-sticky' };
const kip848: OurProtocol = { lab: 'kip848', groupProtocol: 'consumer', assignmentStrategy: null };
const classicGroup = (assignor: string, members = 2): GroupFacts => ({ protocol: 'classic', protocolType: 'consumer', assignor, state: 'Stable', members });
const kip848Group: GroupFacts = { protocol: 'consumer', protocolType: '', assignor: 'uniform', state: 'Stable', members: 3 };

describe('join: the address and Kafka checks', () => {
  test('host:port and [v6]:port parse; anything else does not', () => {
    assert.deepEqual(parseHostPort('192.168.1.20:9094'), { host: '192.168.1.20', port: 9094 });
    assert.deepEqual(parseHostPort('[fe80::1]:9094'), { host: 'fe80::1', port: 9094 });
    assert.deepEqual(parseHostPort('instructor.local:9094'), { host: 'instructor.local', port: 9094 });
    for (const bad of ['192.168.1.20', ':9094', 'a:b', 'host:70000', 'a b:1']) assert.equal(parseHostPort(bad), null, bad);
  });

  test('nothing answering fails with its own exit code and names the port a firewall must let in', () => {
    const v = bootstrapVerdict({ host: '192.168.1.20', port: 9094 }, { ok: false, reason: 'ETIMEDOUT' });
    assert.equal(v.ok, false);
    assert.equal(v.exitCode, JOIN_EXIT.bootstrapUnreachable);
    assert.match(v.message, /nothing answers at 192\.168\.1\.20:9094 \(ETIMEDOUT\)/);
    assert.match(v.message, /same Wi-Fi.*port 9094/);
  });

  test('a loopback bootstrap that does not answer is explained as this machine, not the instructor', () => {
    const v = bootstrapVerdict({ host: '127.0.0.1', port: 9094 }, { ok: false, reason: 'ECONNREFUSED' });
    assert.match(v.message, /this machine \(inside Docker: this container\)/);
  });

  test('a port that is not Kafka fails apart from one that does not answer', () => {
    const v = kafkaMetadataVerdict({ host: '10.0.0.5', port: 3000 }, new Error('Local: Broker transport failure'));
    assert.equal(v.exitCode, JOIN_EXIT.notKafka);
    assert.notEqual(JOIN_EXIT.notKafka, JOIN_EXIT.bootstrapUnreachable);
    assert.match(v.message, /did not answer as Kafka.*9094/);
    assert.equal(kafkaMetadataVerdict({ host: '10.0.0.5', port: 9094 }, null).ok, true);
  });
});

describe('join: the advertised address check', () => {
  const lan = { host: '192.168.1.20', port: 9094 };

  test('a loopback address advertised to a client that came from elsewhere fails and names KAFKA_EXTERNAL_HOST', () => {
    const v = advertisedVerdict(lan, [{ host: '127.0.0.1', port: 9094 }]);
    assert.equal(v.ok, false);
    assert.equal(v.exitCode, JOIN_EXIT.loopbackAdvertised);
    assert.match(v.message, /tells clients to use 127\.0\.0\.1:9094, a loopback address/);
    assert.match(v.message, /KAFKA_EXTERNAL_HOST.*192\.168\.1\.20/);
  });

  test('localhost and ::1 are loopback too', () => {
    assert.equal(advertisedVerdict(lan, [{ host: 'localhost', port: 9094 }]).ok, false);
    assert.equal(advertisedVerdict(lan, [{ host: '::1', port: 9094 }]).ok, false);
  });

  test('the LAN address passes', () => {
    const v = advertisedVerdict(lan, [lan]);
    assert.equal(v.ok, true);
    assert.match(v.message, /192\.168\.1\.20:9094/);
  });

  test('a loopback address equal to the one bootstrapped through passes: a program on the instructor machine itself', () => {
    assert.equal(advertisedVerdict({ host: '127.0.0.1', port: 9094 }, [{ host: '127.0.0.1', port: 9094 }]).ok, true);
    assert.equal(advertisedVerdict({ host: '127.0.0.1', port: 29094 }, [{ host: '127.0.0.1', port: 9094 }]).ok, false);
  });
});

describe('join: the group protocol check', () => {
  test('an eager client is refused by a cooperative-sticky group, with the protocol to use instead', () => {
    const v = groupVerdict('lab-group', classicGroup('cooperative-sticky'), eager);
    assert.equal(v.ok, false);
    assert.equal(v.exitCode, JOIN_EXIT.protocolRefused);
    assert.match(v.message, /Inconsistent group protocol/);
    assert.match(v.message, /--protocol cooperative/);
  });

  test('a cooperative client is refused by a range group and told --protocol eager', () => {
    const v = groupVerdict('lab-group', classicGroup('range'), cooperative);
    assert.equal(v.exitCode, JOIN_EXIT.protocolRefused);
    assert.match(v.message, /--protocol eager/);
  });

  test('a client offering the group assignor is accepted', () => {
    assert.equal(groupVerdict('lab-group', classicGroup('cooperative-sticky'), cooperative).ok, true);
    assert.equal(groupVerdict('lab-group', classicGroup('range'), eager).ok, true);
  });

  test('a group without members, or none at all, accepts any protocol', () => {
    for (const ours of [eager, cooperative, kip848]) {
      assert.equal(groupVerdict('g', null, ours).ok, true);
      assert.equal(groupVerdict('g', classicGroup('range', 0), ours).ok, true);
    }
  });

  test('a KIP-848 group accepts a classic client, saying the broker assigns and kip848 is what the others use', () => {
    const v = groupVerdict('lab-group', kip848Group, eager);
    assert.equal(v.ok, true);
    assert.match(v.message, /broker assigns.*LAB_PROTOCOL=kip848/);
    assert.equal(groupVerdict('lab-group', kip848Group, kip848).ok, true);
  });

  test('a classic group in a rebalance (members, no assignor yet) is not said to accept: the check cannot tell', () => {
    const v = groupVerdict('lab-group', { ...classicGroup(''), state: 'PreparingRebalance' }, eager);
    assert.equal(v.ok, true);
    assert.match(v.message, /rebalancing .* cannot be told now; joining will tell/);
    assert.doesNotMatch(v.message, / accepts LAB_PROTOCOL=eager \(classic, range\)$/);
  });

  test('the group is described again while it rebalances, so an eager client is refused once the cooperative group settles', async () => {
    let clock = 0;
    const answers: GroupFacts[] = [
      { ...classicGroup(''), state: 'PreparingRebalance' },
      { ...classicGroup(''), state: 'CompletingRebalance' },
      classicGroup('cooperative-sticky'),
    ];
    let asked = 0;
    const facts = await describeSettled(async () => answers[Math.min(asked++, answers.length - 1)], { withinMs: 15_000, everyMs: 500 }, async (ms) => void (clock += ms), () => clock);
    assert.equal(asked, 3);
    assert.equal(facts?.assignor, 'cooperative-sticky');
    assert.equal(groupVerdict('lab-group', facts, eager).exitCode, JOIN_EXIT.protocolRefused);
  });

  test('a rebalance that outlasts the wait gives what was last seen; a settled, empty or KIP-848 group is described once', async () => {
    let clock = 0;
    let asked = 0;
    const stuck = await describeSettled(async () => (asked++, { ...classicGroup(''), state: 'PreparingRebalance' }), { withinMs: 15_000, everyMs: 500 }, async (ms) => void (clock += ms), () => clock);
    assert.equal(stuck?.assignor, '');
    assert.equal(asked, 31);
    assert.ok(clock <= 15_000);
    for (const g of [classicGroup('range'), classicGroup('', 0), kip848Group, null]) {
      let n = 0;
      await describeSettled(async () => (n++, g), { withinMs: 15_000, everyMs: 500 }, async () => assert.fail('no wait'));
      assert.equal(n, 1);
    }
  });

  test('a classic group that is not a consumer group refuses everyone', () => {
    const v = groupVerdict('connect-cluster', { ...classicGroup('sessioned'), protocolType: 'connect' }, cooperative);
    assert.equal(v.exitCode, JOIN_EXIT.protocolRefused);
    assert.match(v.message, /not a consumer group/);
  });

  test('every failed check has its own exit code', () => {
    const codes = Object.values(JOIN_EXIT);
    assert.equal(new Set(codes).size, codes.length);
  });
});

describe('join: arguments that read the same in bash, PowerShell and cmd', () => {
  test('--flag value and --flag=value, with the lab defaults', () => {
    const o = parseJoinArgs(['--name', 'alice', '--bootstrap=192.168.1.20:9094'], {});
    assert.deepEqual(o, { name: 'alice', bootstrap: '192.168.1.20:9094', group: 'lab-group', topic: 'lab-events', protocol: 'cooperative', checkOnly: false });
  });

  test('LAB_PROTOCOL from the environment is the default; --protocol wins', () => {
    assert.equal(parseJoinArgs(['--name', 'a', '--bootstrap', 'h:1'], { LAB_PROTOCOL: 'kip848' }).protocol, 'kip848');
    assert.equal(parseJoinArgs(['--name', 'a', '--bootstrap', 'h:1', '--protocol', 'eager'], { LAB_PROTOCOL: 'kip848' }).protocol, 'eager');
  });

  test('a missing name, an unknown protocol or option is refused naming what is accepted', () => {
    assert.throws(() => parseJoinArgs(['--bootstrap', 'h:1'], {}), (e: Error) => e instanceof UsageError && /--name is required/.test(e.message));
    assert.throws(() => parseJoinArgs(['--name', 'a', '--bootstrap', 'h:1', '--protocol', 'sticky'], {}), /one of eager, cooperative, static, kip848/);
    assert.throws(() => parseJoinArgs(['--name', 'a b', '--bootstrap', 'h:1'], {}), /letters, digits/);
    assert.throws(() => parseJoinArgs(['--name', 'a', '--bootstrap', 'h:1', '--colour', 'red'], {}), /unknown option --colour/);
    assert.throws(() => parseJoinArgs(['--name', '--bootstrap', 'h:1'], {}), /--name needs a value/);
  });
});

describe('join: what it prints while in the group', () => {
  const at = new Date('2026-12-04T16:20:01Z');
  test('one line per assignment, partitions in order', () => {
    assert.equal(ownedLine(at, 'alice', 'lab-events', [8, 0, 4]), '16:20:01 alice owns 3 partitions of lab-events: 0, 4, 8');
    assert.equal(ownedLine(at, 'alice', 'lab-events', [5]), '16:20:01 alice owns 1 partition of lab-events: 5');
    assert.match(ownedLine(at, 'alice', 'lab-events', []), /owns no partitions/);
  });
  test('a compact periodic line', () => {
    assert.equal(heartbeatLine(at, [4, 0], 600, 30), '16:20:01 still in the group: partitions 0,4; 600 messages in the last 30 s');
  });
  test('the same partitions in another order are no change', () => {
    assert.equal(samePartitions([1, 2], [2, 1]), true);
    assert.equal(samePartitions([1, 2], [1, 3]), false);
    assert.equal(samePartitions([1], [1, 2]), false);
  });
});
