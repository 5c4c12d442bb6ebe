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
  /** The member's colour slot on the dashboard (see memberColours). */
  colour: number;
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

/** What a name is derived from: the member's ids and host as the coordinator reports them. */
type Nameable = Pick<RawMember, 'memberId' | 'clientId' | 'clientHost'>;

/**
 * One readable, unique name per member. Our replicas use their replica name as client id, so the
 * name is the one their own metrics carry (`consumer` label) and panels can set the two views side
 * by side. Other clients often share a default client id (kcat's "rdkafka", Java's
 * "consumer-<group>-1" on every laptop): the host tells laptops apart, and a member-id suffix two
 * members on one host. `kept` holds the names of members seen before: they keep them, so a member
 * already on screen is not renamed (which would draw a false "left" and "joined") when a second
 * client with its client id arrives; only the newcomer is qualified.
 */
export function memberNames(members: readonly Nameable[], kept: ReadonlyMap<string, string> = new Map()): Map<string, string> {
  const names = new Map<string, string>();
  const count = (key: (m: Nameable) => string) => {
    const seen = new Map<string, number>();
    for (const m of members) seen.set(key(m), (seen.get(key(m)) ?? 0) + 1);
    return seen;
  };
  const byClient = count((m) => m.clientId);
  const byClientHost = count((m) => `${m.clientId}@${hostOf(m.clientHost)}`);
  const used = new Set<string>();
  for (const m of members) {
    const name = kept.get(m.memberId);
    if (name !== undefined) {
      names.set(m.memberId, name);
      used.add(name);
    }
  }
  for (const m of members) {
    if (names.has(m.memberId)) continue;
    const clientId = m.clientId || '(no client id)';
    const host = hostOf(m.clientHost);
    const candidates: string[] = [];
    if (byClient.get(m.clientId) === 1) candidates.push(clientId);
    if (byClientHost.get(`${m.clientId}@${host}`) === 1) candidates.push(`${clientId}@${host}`);
    candidates.push(`${clientId}@${host}#${m.memberId.slice(-6)}`);
    let name = candidates.find((c) => !used.has(c));
    // A client id that happens to spell another member's qualified name.
    for (let i = 2; name === undefined; i++) if (!used.has(`${candidates.at(-1)}~${i}`)) name = `${candidates.at(-1)}~${i}`;
    names.set(m.memberId, name);
    used.add(name);
  }
  return names;
}

/** Colours a member can hold (the dashboard's palette); more members than this share colours. */
export const COLOUR_SLOTS = 32;
/** Our replicas' own panels colour lab-consumer-N by its name alone (slot N-1): the coordinator's view agrees when it can. */
const REPLICA_NAME = /^lab-consumer-(\d+)$/;
const REPLICA_SLOTS = 16;

/**
 * One colour slot per member, distinct while there are at most COLOUR_SLOTS members. `kept`
 * colours stay: a member keeps its colour for as long as it stays in the group. lab-consumer-N
 * takes slot N-1 when free, the colour its own metrics get by name; every other newcomer takes the
 * highest free slot, so the low slots stay free for replicas that may still come.
 */
export function memberColours(names: ReadonlyMap<string, string>, kept: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const colours = new Map<string, number>();
  const taken = new Set<number>();
  for (const [id, colour] of kept) {
    if (!names.has(id) || taken.has(colour)) continue;
    colours.set(id, colour);
    taken.add(colour);
  }
  const newcomers = [...names].filter(([id]) => !colours.has(id));
  for (const [id, name] of newcomers) {
    const n = Number(REPLICA_NAME.exec(name)?.[1] ?? 0);
    if (n >= 1 && n <= REPLICA_SLOTS && !taken.has(n - 1)) {
      colours.set(id, n - 1);
      taken.add(n - 1);
    }
  }
  for (const [id, name] of newcomers) {
    if (colours.has(id)) continue;
    let slot = -1;
    for (let s = COLOUR_SLOTS - 1; s >= 0 && slot < 0; s--) if (!taken.has(s)) slot = s;
    if (slot < 0) slot = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % COLOUR_SLOTS;
    colours.set(id, slot);
    taken.add(slot);
  }
  return colours;
}

export function buildGroupView(raw: RawGroup, topic: TopicOffsets): GroupView {
  const names = memberNames(raw.members);
  const colours = memberColours(names);
  const members: MemberView[] = raw.members
    .map((m) => ({
      member: names.get(m.memberId)!,
      colour: colours.get(m.memberId)!,
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
