/**
 * The rebalance timeline: what changed in each group between two pictures of the coordinator, as
 * events. Pure (diffGroups) plus a bounded log; the observer feeds it one poll at a time. An event
 * happened after `since` (the previous good poll) and was seen at `at`: the poll interval is the
 * resolution, and the coordinator's own times are not in what the admin API returns.
 */
import type { GroupView } from './group-view';

export type GroupEventType =
  | 'member-joined'
  | 'member-left'
  | 'member-restarted'
  | 'partition-moved'
  | 'state-changed'
  | 'rebalance-started'
  | 'rebalance-ended'
  | 'group-vanished';

export interface GroupEvent {
  type: GroupEventType;
  group: string;
  /** When the observer first saw it (ms since the epoch). */
  at: number;
  /** The previous good poll: it happened after this; null for the first poll. */
  since: number | null;
  member?: string;
  memberId?: string;
  clientId?: string;
  instanceId?: string | null;
  /** member-restarted: the member id the static member had before. */
  previousMemberId?: string;
  partition?: number;
  /** partition-moved: owners (null: nobody); state-changed: states. */
  from?: string | null;
  to?: string | null;
  /** rebalance-ended: when its rebalance-started was seen, and the time between. */
  startedAt?: number;
  durationMs?: number;
}

/** A rebalance in progress: when it was first seen, and who owned what before it. */
export interface OpenRebalance {
  startedAt: number;
  owners: Map<number, string | null>;
}

const SETTLED = new Set(['Stable', 'Empty', 'Dead']);

/**
 * Whether the coordinator is between assignments: a classic group's PreparingRebalance or
 * CompletingRebalance (describe then shows no assignments), a KIP-848 group's states other than
 * Stable, or partitions still moving to their target owner.
 */
export function rebalancing(g: GroupView): boolean {
  return !SETTLED.has(g.state) || g.partitions.some((p) => p.targetOwner !== null);
}

const ownersOf = (g: GroupView | undefined) => new Map((g?.partitions ?? []).map((p) => [p.partition, p.owner?.member ?? null]));

/**
 * The events between `prev` (null: the observer's first poll, which reports nothing) and `next`.
 * Partition moves are reported once per rebalance, from the owners before it to those after it:
 * while a classic group rebalances, describe shows every partition unowned, and reporting that
 * would be two moves per partition that nobody made.
 */
export function diffGroups(
  prev: readonly GroupView[] | null,
  next: readonly GroupView[],
  at: number,
  since: number | null,
  open: ReadonlyMap<string, OpenRebalance>,
): { events: GroupEvent[]; open: Map<string, OpenRebalance> } {
  const events: GroupEvent[] = [];
  const stillOpen = new Map(open);
  const base = (group: string) => ({ group, at, since });
  if (prev === null) {
    for (const g of next) if (rebalancing(g)) stillOpen.set(g.group, { startedAt: at, owners: ownersOf(g) });
    return { events, open: stillOpen };
  }
  const before = new Map(prev.map((g) => [g.group, g]));
  for (const g of next) {
    const p = before.get(g.group);
    before.delete(g.group);
    const was = new Map((p?.members ?? []).map((m) => [m.memberId, m]));
    const is = new Map(g.members.map((m) => [m.memberId, m]));
    const joined = g.members.filter((m) => !was.has(m.memberId));
    const left = (p?.members ?? []).filter((m) => !is.has(m.memberId));
    let membership = 0;
    for (const m of left) {
      // A static member back under a new member id within its session: a restart, not a departure.
      const back = m.instanceId ? joined.find((j) => j.instanceId === m.instanceId) : undefined;
      if (back) {
        joined.splice(joined.indexOf(back), 1);
        // No rebalance of itself: the coordinator hands it its old assignment.
        events.push({ ...base(g.group), type: 'member-restarted', member: back.member, memberId: back.memberId, clientId: back.clientId, instanceId: back.instanceId, previousMemberId: m.memberId });
      } else {
        events.push({ ...base(g.group), type: 'member-left', member: m.member, memberId: m.memberId, clientId: m.clientId, instanceId: m.instanceId });
        membership++;
      }
    }
    for (const m of joined) {
      events.push({ ...base(g.group), type: 'member-joined', member: m.member, memberId: m.memberId, clientId: m.clientId, instanceId: m.instanceId });
      membership++;
    }
    if (p && p.state !== g.state) events.push({ ...base(g.group), type: 'state-changed', from: p.state, to: g.state });
    const prevOwners = ownersOf(p);
    const nowOwners = ownersOf(g);
    const ownersChanged = [...nowOwners].some(([part, o]) => (prevOwners.get(part) ?? null) !== o) || [...prevOwners].some(([part, o]) => o !== null && !nowOwners.has(part));
    let r = stillOpen.get(g.group);
    if (!r && (rebalancing(g) || ownersChanged || membership > 0)) {
      r = { startedAt: at, owners: prevOwners };
      stillOpen.set(g.group, r);
      events.push({ ...base(g.group), type: 'rebalance-started' });
    }
    if (r && !rebalancing(g)) {
      stillOpen.delete(g.group);
      const parts = new Set([...r.owners.keys(), ...nowOwners.keys()]);
      for (const part of [...parts].sort((x, y) => x - y)) {
        const from = r.owners.get(part) ?? null;
        const to = nowOwners.get(part) ?? null;
        if (from !== to) events.push({ ...base(g.group), type: 'partition-moved', partition: part, from, to });
      }
      events.push({ ...base(g.group), type: 'rebalance-ended', startedAt: r.startedAt, durationMs: at - r.startedAt });
    }
  }
  // A group no longer in the picture (deleted, or, when groups are discovered, empty with no
  // committed offsets): its last members left with it.
  for (const p of before.values()) {
    for (const m of p.members) events.push({ ...base(p.group), type: 'member-left', member: m.member, memberId: m.memberId, clientId: m.clientId, instanceId: m.instanceId });
    events.push({ ...base(p.group), type: 'group-vanished', from: p.state, to: null });
    stillOpen.delete(p.group);
  }
  return { events, open: stillOpen };
}

export interface LoggedEvent extends GroupEvent {
  /** 1, 2, ... in the order seen; a reader asks for those after the last it has. */
  seq: number;
}

/** The last `capacity` events, oldest first. */
export class GroupEventLog {
  private readonly events: LoggedEvent[] = [];
  private nextSeq = 1;
  private open = new Map<string, OpenRebalance>();
  private prev: readonly GroupView[] | null = null;
  private prevAt: number | null = null;
  /** Events pushed out by newer ones. */
  dropped = 0;
  /** Every event ever seen, by group and type (`group\u0000type`), for lab_group_events_total. */
  readonly counts = new Map<string, number>();
  /** The duration of each group's last rebalance-ended, in ms. */
  readonly lastRebalanceMs = new Map<string, number>();

  constructor(private readonly capacity = 1000) {}

  /** One good poll's picture; returns the events it revealed. */
  observe(views: readonly GroupView[], at: number): LoggedEvent[] {
    const { events, open } = diffGroups(this.prev, views, at, this.prevAt, this.open);
    this.open = open;
    this.prev = views;
    this.prevAt = at;
    const logged = events.map((e) => ({ seq: this.nextSeq++, ...e }));
    for (const e of logged) {
      const key = `${e.group}\u0000${e.type}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      if (e.type === 'rebalance-ended') this.lastRebalanceMs.set(e.group, e.durationMs!);
    }
    this.events.push(...logged);
    if (this.events.length > this.capacity) this.dropped += this.events.splice(0, this.events.length - this.capacity).length;
    return logged;
  }

  /** Events with seq > `after`, of `group` if given. */
  list({ after = 0, group }: { after?: number; group?: string } = {}): LoggedEvent[] {
    return this.events.filter((e) => e.seq > after && (group === undefined || e.group === group));
  }
}
