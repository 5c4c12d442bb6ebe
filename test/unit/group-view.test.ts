import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGroupView, concernsTopic, memberNames, type RawGroup, type RawMember } from '../../src/observer/group-view';
import { GroupPoller, type GroupSource } from '../../src/observer/poller';
import { loadObserverConfig } from '../../src/observer/config';
import { ConfigError } from '../../src/shared/env';

const member = (memberId: string, clientId: string, assigned: number[], extra: Partial<RawMember> = {}): RawMember => ({
  memberId,
  clientId,
  clientHost: '/10.0.0.1',
  instanceId: null,
  assigned,
  target: null,
  ...extra,
});

const group = (members: RawMember[], committed: [number, number][] = [], extra: Partial<RawGroup> = {}): RawGroup => ({
  group: 'lab-group',
  state: 'Stable',
  protocol: 'classic',
  assignor: 'cooperative-sticky',
  coordinator: 'kafka:9092 (id 1)',
  members,
  committed: new Map(committed),
  ...extra,
});

const topic = (n: number, end: number) => ({ partitions: [...Array(n).keys()], end: new Map([...Array(n).keys()].map((p) => [p, end])) });

describe('the group as the coordinator sees it', () => {
  test('a member is named by its client id when that is unique, so our replicas keep their replica name', () => {
    const names = memberNames([member('a-1', 'lab-consumer-1', []), member('b-2', 'alice', [])]);
    assert.deepEqual([...names.values()], ['lab-consumer-1', 'alice']);
  });

  test('two kcat members on two laptops share the client id "rdkafka" and are told apart by host', () => {
    const names = memberNames([
      member('m1', 'rdkafka', [], { clientHost: '/192.168.1.40' }),
      member('m2', 'rdkafka', [], { clientHost: '/192.168.1.41' }),
      member('m3', 'lab-consumer-1', []),
    ]);
    assert.deepEqual([...names.values()], ['rdkafka@192.168.1.40', 'rdkafka@192.168.1.41', 'lab-consumer-1']);
  });

  test('two members with the same client id on the same host are told apart by their member id', () => {
    const names = memberNames([member('rdkafka-aaaaaa111111', 'rdkafka', []), member('rdkafka-bbbbbb222222', 'rdkafka', [])]);
    assert.deepEqual([...names.values()], ['rdkafka@10.0.0.1#111111', 'rdkafka@10.0.0.1#222222']);
    assert.equal(new Set(names.values()).size, 2);
  });

  test('every partition of the topic is listed in numeric order, with its owner, or none, and its lag', () => {
    const view = buildGroupView(group([member('m2', 'lab-consumer-2', [10, 2]), member('m1', 'lab-consumer-1', [0, 1])], [[0, 90], [1, 100], [2, 40], [10, 95]]), topic(12, 100));
    assert.deepEqual(view.partitions.map((p) => p.partition), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(view.partitions.map((p) => p.owner?.member ?? null), ['lab-consumer-1', 'lab-consumer-1', 'lab-consumer-2', null, null, null, null, null, null, null, 'lab-consumer-2', null]);
    assert.deepEqual(view.partitions.slice(0, 4).map((p) => p.lag), [10, 0, 60, null], 'no committed offset: lag unknown, not the whole log');
    assert.equal(view.totalLag, 10 + 0 + 60 + 5);
    assert.deepEqual(view.members.map((m) => [m.member, m.partitions]), [['lab-consumer-1', [0, 1]], ['lab-consumer-2', [2, 10]]]);
  });

  test('a committed offset read after the end offset does not show as negative lag', () => {
    const view = buildGroupView(group([member('m1', 'c', [0])], [[0, 105]]), topic(1, 100));
    assert.equal(view.partitions[0]!.lag, 0);
  });

  test('under KIP-848 a partition on its way to another member names that member', () => {
    const view = buildGroupView(
      group([member('m1', 'lab-consumer-1', [0, 1], { target: [0] }), member('m2', 'lab-consumer-2', [], { target: [1] })], [], { protocol: 'consumer' }),
      topic(2, 0),
    );
    assert.deepEqual(view.partitions.map((p) => [p.owner?.member, p.targetOwner]), [['lab-consumer-1', null], ['lab-consumer-1', 'lab-consumer-2']]);
  });

  test('a group concerns the topic when a member owns or is about to own a partition of it, or it committed offsets on it', () => {
    assert.equal(concernsTopic(group([member('m', 'c', [])])), false, 'members of another topic only');
    assert.equal(concernsTopic(group([member('m', 'c', [3])])), true);
    assert.equal(concernsTopic(group([member('m', 'c', [], { target: [3] })])), true);
    assert.equal(concernsTopic(group([], [[0, 5]])), true, 'an empty group that consumed the topic before');
  });
});

class FakeSource implements GroupSource {
  groups: RawGroup[] = [];
  failing: Error | null = null;
  listed = 0;
  async listGroups() {
    this.listed++;
    if (this.failing) throw this.failing;
    return this.groups.map((g) => ({ group: g.group, protocol: g.protocol }));
  }
  async describeGroups(ids: string[]) {
    if (this.failing) throw this.failing;
    return this.groups.filter((g) => ids.includes(g.group)).map(({ committed: _c, ...rest }) => rest);
  }
  async committedOffsets(id: string) {
    return this.groups.find((g) => g.group === id)?.committed ?? new Map();
  }
  async topicOffsets() {
    if (this.failing) throw this.failing;
    return topic(2, 10);
  }
}

describe('polling the coordinator', () => {
  const setup = (groups: string[] = []) => {
    let now = 1_000_000;
    const source = new FakeSource();
    const poller = new GroupPoller(source, { topic: 'lab-events', groups, staleAfterMs: 10_000, now: () => now, keepDepartures: 2 });
    return { source, poller, advance: (ms: number) => (now += ms) };
  };

  test('members present at the first poll are not reported as joining; later joins and departures are, once', async () => {
    const { source, poller, advance } = setup();
    source.groups = [group([member('m1', 'lab-consumer-1', [0, 1])])];
    assert.deepEqual(await poller.poll(), []);
    advance(1000);
    source.groups = [group([member('m1', 'lab-consumer-1', [0]), member('m2', 'lab-consumer-2', [1])])];
    assert.deepEqual((await poller.poll()).map((e) => [e.change, e.member, e.at]), [['joined', 'lab-consumer-2', 1_001_000]]);
    assert.deepEqual(await poller.poll(), [], 'no event while nothing changes');
    advance(1000);
    source.groups = [group([member('m2', 'lab-consumer-2', [0, 1])])];
    assert.deepEqual((await poller.poll()).map((e) => [e.change, e.member]), [['left', 'lab-consumer-1']]);
    assert.deepEqual(poller.currentMembers().map((e) => e.member), ['lab-consumer-2']);
    assert.deepEqual(poller.departures().map((e) => e.member), ['lab-consumer-1']);
  });

  test('only the most recent departures are kept, so the exported series stay bounded', async () => {
    const { source, poller } = setup();
    for (let i = 0; i < 5; i++) {
      source.groups = [group([member(`m${i}`, `c${i}`, [0])])];
      await poller.poll();
    }
    source.groups = [group([])];
    await poller.poll();
    assert.deepEqual(poller.departures().map((e) => e.member), ['c3', 'c4']);
  });

  test('without a configured list, groups that never touched the topic are left out', async () => {
    const { source, poller } = setup();
    source.groups = [group([member('m1', 'c', [0])]), group([member('x', 'other', [])], [], { group: 'other-topic-group' })];
    await poller.poll();
    assert.deepEqual(poller.groups().map((g) => g.group), ['lab-group']);
  });

  test('a configured group is shown even while it is empty, and groups are not listed', async () => {
    const { source, poller } = setup(['lab-group']);
    source.groups = [group([])];
    await poller.poll();
    assert.deepEqual(poller.groups().map((g) => [g.group, g.members.length]), [['lab-group', 0]]);
    assert.equal(source.listed, 0);
  });

  test('when Kafka stops answering the last view stays for the stale period, marked down, then is dropped', async () => {
    const { source, poller, advance } = setup();
    source.groups = [group([member('m1', 'c', [0])])];
    await poller.poll();
    source.failing = new Error('Local: Broker transport failure');
    advance(5_000);
    await assert.rejects(poller.poll(), /transport failure/);
    assert.equal(poller.status.up, false);
    assert.equal(poller.status.lastError, 'Local: Broker transport failure');
    assert.equal(poller.groups().length, 1, 'a blip does not blank the dashboard');
    advance(6_000);
    await assert.rejects(poller.poll());
    assert.deepEqual(poller.groups(), [], 'an 11 s old view is not passed off as the present');
    assert.equal(poller.status.failuresInARow, 2);
    source.failing = null;
    assert.deepEqual(await poller.poll(), [], 'the same members after an outage did not join again');
    assert.equal(poller.status.up, true);
    assert.equal(poller.status.failuresInARow, 0);
  });
});

describe('observer configuration', () => {
  test('defaults watch every group on lab-events once a second', () => {
    const c = loadObserverConfig({});
    assert.deepEqual([c.topic, c.groups, c.intervalMs, c.metricsPort], ['lab-events', [], 1000, 8080]);
  });

  test('OBSERVER_GROUPS takes a comma-separated list', () => {
    assert.deepEqual(loadObserverConfig({ OBSERVER_GROUPS: 'lab-group, alice-group,lab-group' }).groups, ['lab-group', 'alice-group']);
  });

  test('a bad value stops the program naming the variable and what is accepted', () => {
    assert.throws(
      () => loadObserverConfig({ OBSERVER_INTERVAL_MS: 'fast', OBSERVER_GROUPS: 'a b' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /OBSERVER_INTERVAL_MS="fast" is not accepted: expected an integer from 200 to 60000/.test(err.message) &&
        /OBSERVER_GROUPS="a b" is not accepted: expected a comma-separated list of consumer group ids/.test(err.message),
    );
  });
});

describe('the observer metrics', () => {
  test('every partition is exported with its lag, owned or not, and an owner series only when owned', async () => {
    const { ObserverMetrics } = await import('../../src/observer/metrics');
    const source = new FakeSource();
    source.groups = [group([member('m1', 'lab-consumer-1', [0])], [[0, 7], [1, 4]])];
    const poller = new GroupPoller(source, { topic: 'lab-events', groups: [], staleAfterMs: 10_000 });
    await poller.poll();
    const text = await new ObserverMetrics(poller, 'lab-events', { requests: new Map([['DescribeGroups', 3]]) }).registry.metrics();
    const lines = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
    assert.deepEqual(lines('lab_group_partition_owner'), ['lab_group_partition_owner{group="lab-group",topic="lab-events",partition="0",member="lab-consumer-1"} 1']);
    assert.deepEqual(lines('lab_group_partition_owned'), [
      'lab_group_partition_owned{group="lab-group",topic="lab-events",partition="0"} 1',
      'lab_group_partition_owned{group="lab-group",topic="lab-events",partition="1"} 0',
    ]);
    assert.deepEqual(lines('kafka_consumergroup_group_lag'), [
      'kafka_consumergroup_group_lag{group="lab-group",topic="lab-events",partition="0",member_host="10.0.0.1",consumer_id="m1",client_id="lab-consumer-1"} 3',
      'kafka_consumergroup_group_lag{group="lab-group",topic="lab-events",partition="1",member_host="",consumer_id="",client_id=""} 6',
    ]);
    assert.deepEqual(lines('lab_observer_kafka_requests_total'), ['lab_observer_kafka_requests_total{request="DescribeGroups"} 3']);
    assert.match(text, /^lab_observer_up 1$/m);
    assert.match(text, /^lab_observer_polls_total\{result="error"\} 0$/m, 'the error count exists from the start');
  });
});
