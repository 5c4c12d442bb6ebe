/**
 * The group as its coordinator sees it, built from what the admin API returned. Pure: the broker
 * edge (broker-admin.ts) fills the raw shapes, the metrics and /groups read the views, and tests
 * drive it without Kafka.
 */

import type { PartitionReplicas } from './partition-replicas';

export type GroupProtocol = 'classic' | 'consumer' | 'unknown';

export interface RawMember {
  memberId: string;
  clientId: string;
  /** As the broker reports it, e.g. "/172.18.0.5"; the leading slash is dropped here. */
  clientHost: string;
  instanceId: string | null;
  /** Partitions of the observed topic the coordinator assigned to this member. */
  assigned: number[];
  /** KIP-848: the partitions the coordinator wants this member to own; null where not reported. */
  target: number[] | null;
}

export interface RawGroup {
  group: string;
  state: string;
  protocol: GroupProtocol;
  assignor: string;
  /** "host:port (id N)", or '' when unknown. */
  coordinator: string;
  members: RawMember[];
  /** Committed offset per partition of the observed topic; partitions without one are absent. */
  committed: Map<number, number>;
}

export interface TopicOffsets {
  /** Every partition of the topic, ascending. */
  partitions: number[];
  /** Log-end offset (high watermark) per partition. */
  end: Map<number, number>;
  /** Leader, replicas and in-sync replicas per partition, where the source gives them. */
  replicas?: PartitionReplicas[];
  /** When the broker read the ends (ms since the epoch): the middle of the request, where known. */
  readAt?: number;
}

export interface MemberView {
  /** The readable name shown on the dashboard (see memberNames). */
  member: string;
  memberId: string;
  clientId: string;
  clientHost: string;
  instanceId: string | null;
  partitions: number[];
  target: number[] | null;
}

export interface PartitionView {
  partition: number;
  /** The member the coordinator assigned it to; null when nobody owns it. */
  owner: MemberView | null;
  /** KIP-848: the member it is moving to, when the target differs from the current owner. */
  targetOwner: string | null;
  committed: number | null;
  end: number | null;
  /** end - committed; null while the group has no committed offset for the partition. */
  lag: number | null;
  /** Age of the oldest unprocessed record in seconds (lag-time.ts); null until the observer's history knows it. */
  lagSeconds: number | null;
}

export interface GroupView {
  group: string;
  state: string;
  protocol: GroupProtocol;
  assignor: string;
  coordinator: string;
  /** The broker id of the coordinator; null when unknown. */
  coordinatorId: number | null;
  members: MemberView[];
  partitions: PartitionView[];
  totalLag: number;
  /** The largest lagSeconds over the partitions: how far behind the group is in time; null when none is known. */
  maxLagSeconds: number | null;
}

/** The broker id in the coordinator's "host:port (id N)" text. */
export function coordinatorIdOf(coordinator: string): number | null {
  const id = /\(id (\d+)\)$/.exec(coordinator)?.[1];
  return id === undefined ? null : Number(id);
}

const hostOf = (clientHost: string) => clientHost.replace(/^\//, '');

/**
 * One readable, unique name per member. Our replicas use their replica name as client id, so the
 * name is the one their own metrics carry (`consumer` label) and panels can set the two views side
 * by side. Other clients often share a default client id (kcat's "rdkafka", "console-consumer"):
 * the host tells laptops apart, and a member-id prefix two members on one host.
 */
export function memberNames(members: readonly RawMember[]): Map<string, string> {
  const names = new Map<string, string>();
  const count = (key: (m: RawMember) => string) => {
    const seen = new Map<string, number>();
    for (const m of members) seen.set(key(m), (seen.get(key(m)) ?? 0) + 1);
    return seen;
  };
  const byClient = count((m) => m.clientId);
  const byClientHost = count((m) => `${m.clientId}@${hostOf(m.clientHost)}`);
  for (const m of members) {
    const clientId = m.clientId || '(no client id)';
    if (byClient.get(m.clientId) === 1) names.set(m.memberId, clientId);
    else if (byClientHost.get(`${m.clientId}@${hostOf(m.clientHost)}`) === 1) names.set(m.memberId, `${clientId}@${hostOf(m.clientHost)}`);
    else names.set(m.memberId, `${clientId}@${hostOf(m.clientHost)}#${m.memberId.slice(-6)}`);
  }
  return names;
}

export function buildGroupView(raw: RawGroup, topic: TopicOffsets): GroupView {
  const names = memberNames(raw.members);
  const members: MemberView[] = raw.members
    .map((m) => ({
      member: names.get(m.memberId)!,
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: hostOf(m.clientHost),
      instanceId: m.instanceId,
      partitions: [...m.assigned].sort((a, b) => a - b),
      target: m.target === null ? null : [...m.target].sort((a, b) => a - b),
    }))
    .sort((a, b) => a.member.localeCompare(b.member, 'en', { numeric: true }));
  const owner = new Map<number, MemberView>();
  const target = new Map<number, string>();
  for (const m of members) {
    for (const p of m.partitions) owner.set(p, m);
    for (const p of m.target ?? []) target.set(p, m.member);
  }
  // Partitions the topic has, plus any the group still reports (a topic shrunk by recreation).
  const all = new Set<number>([...topic.partitions, ...owner.keys(), ...raw.committed.keys()]);
  let totalLag = 0;
  const partitions: PartitionView[] = [...all]
    .sort((a, b) => a - b)
    .map((p) => {
      const committed = raw.committed.get(p) ?? null;
      const end = topic.end.get(p) ?? null;
      // A committed offset past the end read a moment earlier is a race, not negative lag.
      const lag = committed !== null && end !== null ? Math.max(0, end - committed) : null;
      if (lag !== null) totalLag += lag;
      const current = owner.get(p) ?? null;
      const moving = target.get(p) ?? null;
      return { partition: p, owner: current, targetOwner: moving !== null && moving !== current?.member ? moving : null, committed, end, lag, lagSeconds: null };
    });
  return { group: raw.group, state: raw.state, protocol: raw.protocol, assignor: raw.assignor, coordinator: raw.coordinator, coordinatorId: coordinatorIdOf(raw.coordinator), members, partitions, totalLag, maxLagSeconds: null };
}

/**
 * Whether a group belongs on the dashboard when no list was configured: it has a member that
 * owns (or, under KIP-848, is about to own) a partition of the topic, or committed offsets on it.
 * A member that subscribed but got nothing (more members than partitions) is shown as part of a
 * group that qualifies; a group of only such members is too, as long as it committed before.
 */
export function concernsTopic(raw: RawGroup): boolean {
  return raw.committed.size > 0 || raw.members.some((m) => m.assigned.length > 0 || (m.target?.length ?? 0) > 0);
}
