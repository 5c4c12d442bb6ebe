import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGroupView, type RawMember } from '../../src/observer/group-view';
import { ObserverMetrics } from '../../src/observer/metrics';
import { GroupViews } from '../../src/observer/poller';
import { COLOUR_SLOTS } from '../../src/observer/member-identity';

const member = (memberId: string, clientId: string, clientHost = '/10.0.0.1'): RawMember => ({ memberId, clientId, clientHost, instanceId: null, assigned: [], target: null });
const view = (members: RawMember[]) =>
  buildGroupView({ group: 'lab-group', state: 'Stable', protocol: 'classic', assignor: 'range', coordinator: 'kafka:9092 (id 1)', members, committed: new Map() }, { partitions: [0], end: new Map() });

async function series(views: GroupViews, name: string): Promise<Record<string, string>[]> {
  const text = await new ObserverMetrics(views, 'lab-events').registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => Object.fromEntries([...l.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])));
}

describe('member names and colours the observer keeps while a member stays', () => {
  test('a member keeps its name when a second client with the same client id joins; the newcomer is told apart by host', async () => {
    const views = new GroupViews({ staleAfterMs: 10_000 });
    const kcat = member('rdkafka-aaa111', 'rdkafka', '/192.168.1.40');
    views.succeeded([view([kcat, member('m1', 'lab-consumer-1')])]);
    const before = (await series(views, 'lab_group_member_info')).find((s) => s.member_id === 'rdkafka-aaa111');
    assert.equal(before?.member, 'rdkafka');
    views.succeeded([view([member('rdkafka-bbb222', 'rdkafka', '/192.168.1.41'), kcat, member('m1', 'lab-consumer-1')])]);
    const after = await series(views, 'lab_group_member_info');
    assert.deepEqual(after.map((s) => [s.member_id, s.member]).sort(), [
      ['m1', 'lab-consumer-1'],
      ['rdkafka-aaa111', 'rdkafka'],
      ['rdkafka-bbb222', 'rdkafka@192.168.1.41'],
    ]);
    // Partition owners and /groups read the same names.
    assert.deepEqual(views.groups()[0].members.map((m) => m.member), ['lab-consumer-1', 'rdkafka', 'rdkafka@192.168.1.41']);
  });

  test('the first poll still names two clients that share a client id by host (and member id on one host)', () => {
    const views = new GroupViews({ staleAfterMs: 10_000 });
    views.succeeded([view([member('rdkafka-aaa111', 'rdkafka'), member('rdkafka-bbb222', 'rdkafka'), member('x', 'rdkafka', '/10.0.0.2')])]);
    assert.deepEqual(views.groups()[0].members.map((m) => m.member), ['rdkafka@10.0.0.1#aaa111', 'rdkafka@10.0.0.1#bbb222', 'rdkafka@10.0.0.2']);
  });

  test('24 arbitrary names get 24 different colours, lab-consumer-N takes colour N-1 even after the others, and each keeps its colour while others come and go', async () => {
    const views = new GroupViews({ staleAfterMs: 10_000 });
    const foreign = ['alice', 'bob', 'carol', 'dave', 'anna', 'ben', 'consumer-lab-group-1', 'console-consumer', 'kcat', 'rdkafka', 'python', 'go-client'].map((c, i) => member(`f${i}`, c));
    // Two laptops running Java with its default client id, and two kcats on one host.
    foreign.push(member('j2', 'consumer-lab-group-1', '/10.0.0.9'), member('k2', 'rdkafka', '/10.0.0.1'));
    views.succeeded([view(foreign)]);
    const replicas = Array.from({ length: 10 }, (_, i) => member(`r${i + 1}`, `lab-consumer-${i + 1}`));
    views.succeeded([view([...foreign, ...replicas])]);
    const colours = new Map((await series(views, 'lab_group_member_colour')).map((s) => [s.member, s.colour]));
    assert.equal(colours.size, 24);
    assert.equal(new Set(colours.values()).size, 24, JSON.stringify([...colours]));
    for (let n = 1; n <= 10; n++) assert.equal(colours.get(`lab-consumer-${n}`), String(n - 1).padStart(2, '0'));
    for (const c of colours.values()) assert.ok(Number(c) < COLOUR_SLOTS);
    // alice leaves, two newcomers join: nobody else changes colour, and alice's colour is free again.
    const later = [...foreign.slice(1), ...replicas, member('z1', 'zoe'), member('z2', 'yann')];
    views.succeeded([view(later)]);
    const now = new Map((await series(views, 'lab_group_member_colour')).map((s) => [s.member, s.colour]));
    for (const [name, c] of now) if (colours.has(name)) assert.equal(c, colours.get(name), name);
    assert.equal(new Set(now.values()).size, now.size);
    assert.equal(now.has('alice'), false);
  });
});
