import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGroupView, type RawMember } from '../../src/observer/group-view';
import { ObserverMetrics } from '../../src/observer/metrics';
import { GroupViews } from '../../src/observer/poller';

const member = (memberId: string, assigned: number[]): RawMember => ({ memberId, clientId: memberId, clientHost: '/10.0.0.1', instanceId: null, assigned, target: null });
const view = (members: RawMember[], state = 'Stable') =>
  buildGroupView({ group: 'lab-group', state, protocol: 'classic', assignor: 'range', coordinator: 'kafka:9092 (id 1)', members, committed: new Map() }, { partitions: [0, 1], end: new Map() });

async function generation(views: GroupViews): Promise<string[]> {
  const text = await new ObserverMetrics(views, 'lab-events').registry.metrics();
  return text.split('\n').filter((l) => l.startsWith('lab_group_assignment_generation{'));
}

describe("the coordinator's assignment generation (RebalanceStorm counts its changes)", () => {
  test('counts each change of members or owners the polls see, not polls that see the same assignment', async () => {
    const views = new GroupViews({ staleAfterMs: 10_000 });
    views.succeeded([view([member('a', [0, 1])])]);
    assert.deepEqual(await generation(views), ['lab_group_assignment_generation{group="lab-group"} 0']);
    views.succeeded([view([member('a', [0, 1])])]);
    views.succeeded([view([member('a', [0]), member('b', [1])])]);
    views.succeeded([view([member('b', [1]), member('a', [0])])]);
    // A member with no partition joining is a rebalance too.
    views.succeeded([view([member('a', [0]), member('b', [1]), member('idle', [])])]);
    // Mid-rebalance (eager: everything revoked), then settled again.
    views.succeeded([view([member('a', []), member('b', []), member('idle', [])], 'CompletingRebalance')]);
    views.succeeded([view([member('a', [0]), member('b', [1]), member('idle', [])])]);
    assert.deepEqual(await generation(views), ['lab_group_assignment_generation{group="lab-group"} 4']);
  });
});
