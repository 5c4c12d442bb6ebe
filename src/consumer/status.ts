import type { Assignment } from './assignment';
import type { ConsumerConfig } from './config';
import type { LifecycleState } from './lifecycle';
import type { StatsSnapshot } from './stats';

export interface ConsumerStatus {
  name: string;
  clientId: string;
  memberId: string | null;
  group: string;
  topic: string;
  groupProtocol: string;
  assignmentStrategy: string | null;
  state: LifecycleState;
  groupJoinState: string | null;
  ready: boolean;
  idle: boolean;
  inFlight: { partition: number; offset: number } | null;
  assignedPartitions: {
    partition: number;
    position: number | null;
    committed: number | null;
    highWatermark: number | null;
    lag: number | null;
  }[];
  rebalances: Record<string, number>;
  lastRebalance: unknown;
}

/** Assembles /status from the member's own state and the latest librdkafka statistics. */
export function buildStatus(args: {
  name: string;
  clientId: string;
  memberId: string | null;
  config: ConsumerConfig;
  state: LifecycleState;
  ready: boolean;
  inFlight: { partition: number; offset: number } | null;
  assignment: Assignment;
  stats: StatsSnapshot | null;
}): ConsumerStatus {
  const { assignment, stats, config } = args;
  const byPartition = new Map((stats?.partitions ?? []).map((p) => [p.partition, p]));
  const owned = assignment.partitions();
  return {
    name: args.name,
    clientId: args.clientId,
    memberId: args.memberId,
    group: config.groupId,
    topic: config.topic,
    groupProtocol: config.groupProtocol,
    assignmentStrategy: config.assignmentStrategy,
    state: args.state,
    groupJoinState: stats?.joinState ?? null,
    ready: args.ready,
    idle: assignment.joined && owned.length === 0,
    inFlight: args.inFlight,
    assignedPartitions: owned.map((partition) => {
      const s = byPartition.get(partition);
      return {
        partition,
        // Our own record of progress is fresher than statistics, which arrive once per interval.
        position: assignment.nextOffset(partition) ?? s?.position ?? null,
        committed: s?.committed ?? null,
        highWatermark: s?.highWatermark ?? null,
        lag: s?.lag ?? null,
      };
    }),
    rebalances: { ...assignment.rebalanceCounts() },
    lastRebalance: assignment.lastRebalance(),
  };
}
