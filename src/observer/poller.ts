import { buildGroupView, concernsTopic, type GroupView, type RawGroup, type TopicOffsets } from './group-view';
import type { GroupListing } from './broker-admin';
import type { PartitionReplicas } from './partition-replicas';
import { MemberIdentities } from './member-identity';
import { EndOffsetHistory, lagSeconds } from './lag-time';
import { GroupEventLog, type LoggedEvent } from './group-events';

/** What the poller needs from Kafka; BrokerAdmin in production, a fake in unit tests. */
export interface GroupSource {
  listGroups(): Promise<GroupListing[]>;
  describeGroups(groups: string[], topic: string): Promise<Omit<RawGroup, 'committed'>[]>;
  committedOffsets(group: string, topic: string): Promise<Map<number, number>>;
  topicOffsets(topic: string): Promise<TopicOffsets>;
}

export interface MembershipEvent {
  group: string;
  member: string;
  memberId: string;
  change: 'joined' | 'left';
  /** When the observer first saw the change, in ms since the epoch. */
  at: number;
}

export interface PollerOptions {
  topic: string;
  /** Empty: discover every consumer group that concerns the topic. */
  groups: string[];
  staleAfterMs: number;
  now?: () => number;
  /** How many past departures are remembered for annotations (the series stay bounded). */
  keepDepartures?: number;
}

export interface ObserverStatus {
  up: boolean;
  lastSuccessAt: number | null;
  lastError: string | null;
  failuresInARow: number;
}

/**
 * The observer's view of the groups, fed one poll at a time: the last good picture, the membership
 * changes between pictures, and whether Kafka answers. Keeps the last good picture while the
 * broker (or the process that talks to it) does not answer, for `staleAfterMs`, so a blip does not
 * blank the dashboard, then drops it: a view of owners that may have changed must not pass for the
 * present. Holds no Kafka client: the observer's parent process keeps it across restarts of the
 * child that polls.
 */
export class GroupViews {
  private view: GroupView[] = [];
  private replicaView: PartitionReplicas[] = [];
  private readonly joined = new Map<string, MembershipEvent>();
  private readonly departed: MembershipEvent[] = [];
  protected readonly now: () => number;
  private readonly keepDepartures: number;
  readonly status: ObserverStatus = { up: false, lastSuccessAt: null, lastError: null, failuresInARow: 0 };
  private polledOnce = false;
  private readonly identities = new MemberIdentities();
  private readonly assignments = new Map<string, { key: string; generation: number }>();
  /** Log-end offsets over time, for lag in seconds; kept here so a restarted Kafka client loses none. */
  readonly history: EndOffsetHistory;
  /** The rebalance timeline (GET /groups/events), bounded. */
  readonly timeline = new GroupEventLog();
  /** The timeline events the last good poll revealed. */
  lastEvents: LoggedEvent[] = [];

  constructor(private readonly limits: { staleAfterMs: number; now?: () => number; keepDepartures?: number }) {
    this.now = limits.now ?? Date.now;
    this.keepDepartures = limits.keepDepartures ?? 200;
    this.history = new EndOffsetHistory();
  }

  /** A poll that answered. Returns the membership changes since the previous good picture. */
  succeeded(polled: GroupView[], replicas: PartitionReplicas[] = [], ends?: LogEnds, stamps: RecordStamp[] = []): MembershipEvent[] {
    // Stable names first: the lag, the timeline and the membership diff all see the names the dashboard shows.
    let views = this.identities.apply(polled);
    const now = this.now();
    if (ends) {
      for (const [p, end] of ends.end) this.history.record(p, ends.at, end);
      if (ends.end.size > 0) this.history.retain(ends.end.keys());
    }
    for (const r of stamps) this.history.recordTimestamp(r.partition, r.offset, r.timestamp);
    views = views.map((g) => withLagSeconds(g, this.history, now));
    this.lastEvents = this.timeline.observe(views, now);
    const events = this.diff(views);
    this.countAssignments(views);
    this.view = views;
    this.replicaView = replicas;
    this.status.up = true;
    this.status.lastSuccessAt = this.now();
    this.status.lastError = null;
    this.status.failuresInARow = 0;
    this.polledOnce = true;
    return events;
  }

  /** A poll that did not answer, or the polling process that died. */
  failed(err: unknown): void {
    this.status.up = false;
    this.status.failuresInARow++;
    this.status.lastError = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
  }

  /** The last good picture while it is younger than `staleAfterMs` or current; else nothing. */
  groups(): GroupView[] {
    return this.fresh() ? this.view : [];
  }

  /** The topic's leaders, replicas and in-sync replicas from the same picture, on the same terms. */
  replicas(): PartitionReplicas[] {
    return this.fresh() ? this.replicaView : [];
  }

  private fresh(): boolean {
    const { up, lastSuccessAt } = this.status;
    return up || (lastSuccessAt !== null && this.now() - lastSuccessAt <= this.limits.staleAfterMs);
  }

  /**
   * How many times the coordinator's assignment (who is in the group, who owns which partition)
   * changed since the observer first saw each group: a rebalance as every client lives it, not
   * only our consumers. The admin API does not report the group's generation, so this counts what
   * the polls see: one rebalance may count twice (cooperative rebalances revoke, then assign).
   */
  assignmentGenerations(): { group: string; generation: number }[] {
    return this.groups().map((g) => ({ group: g.group, generation: this.assignments.get(g.group)?.generation ?? 0 }));
  }

  private countAssignments(views: GroupView[]): void {
    for (const g of views) {
      const key = g.members.map((m) => `${m.memberId}:${m.partitions.join(',')}`).sort().join(' ');
      const before = this.assignments.get(g.group);
      if (!before) this.assignments.set(g.group, { key, generation: 0 });
      else if (before.key !== key) this.assignments.set(g.group, { key, generation: before.generation + 1 });
    }
  }

  /** Members present now, with the time each was first seen. */
  currentMembers(): MembershipEvent[] {
    return [...this.joined.values()];
  }

  /** Members that left, most recent last, at most `keepDepartures`. */
  departures(): MembershipEvent[] {
    return this.departed;
  }

  private diff(views: GroupView[]): MembershipEvent[] {
    const at = this.now();
    const seen = new Set<string>();
    const events: MembershipEvent[] = [];
    for (const g of views) {
      for (const m of g.members) {
        const key = `${g.group}\u0000${m.memberId}`;
        seen.add(key);
        if (this.joined.has(key)) continue;
        const e: MembershipEvent = { group: g.group, member: m.member, memberId: m.memberId, change: 'joined', at };
        this.joined.set(key, e);
        // Members already there when the observer started did not join now; they are not events.
        if (this.polledOnce) events.push(e);
      }
    }
    for (const [key, e] of this.joined) {
      if (seen.has(key)) continue;
      this.joined.delete(key);
      const left: MembershipEvent = { ...e, change: 'left', at };
      events.push(left);
      this.departed.push(left);
    }
    if (this.departed.length > this.keepDepartures) this.departed.splice(0, this.departed.length - this.keepDepartures);
    return events;
  }
}

/** The timestamp of the record at one offset, as read from Kafka (RecordTimestamps). */
export interface RecordStamp {
  partition: number;
  offset: number;
  timestamp: number;
}

/**
 * The records worth reading for their own timestamp in this poll: each lagging group's committed
 * offset where the end offsets cannot date it (EndOffsetHistory.undatedRanges: a burst, a
 * stream's first poll), unless `done` says it was read already. `history` must have this poll's
 * ends recorded.
 */
export function timestampsWanted(views: GroupView[], history: EndOffsetHistory, done: (partition: number, offset: number) => boolean): { partition: number; offset: number }[] {
  const wanted = new Map<string, { partition: number; offset: number }>();
  for (const g of views) {
    for (const { partition, committed, end } of g.partitions) {
      if (committed === null || end === null || committed >= end || done(partition, committed)) continue;
      if (history.undatedRanges(partition).some(([from, to]) => committed >= from && committed < to)) wanted.set(`${partition}:${committed}`, { partition, offset: committed });
    }
  }
  return [...wanted.values()];
}

/** The topic's log-end offsets and when they were read (ms since the epoch). */
export interface LogEnds {
  at: number;
  end: Map<number, number>;
}

/** The view with each partition's lag in seconds from the history, and the group's largest. */
export function withLagSeconds(g: GroupView, history: EndOffsetHistory, now: number): GroupView {
  let max: number | null = null;
  const partitions = g.partitions.map((p) => {
    const s = lagSeconds(history, p.partition, p.committed, p.end, now);
    if (s !== null) max = Math.max(max ?? 0, s);
    return { ...p, lagSeconds: s };
  });
  return { ...g, partitions, maxLagSeconds: max };
}

/** What one poll sees: the groups, where the topic's partitions live, and their ends. */
export interface ClusterView {
  groups: GroupView[];
  replicas: PartitionReplicas[];
  ends: LogEnds;
}

/** One consistent picture of every observed group, straight from Kafka; throws if Kafka did not answer. */
export async function fetchGroupViews(source: GroupSource, options: { topic: string; groups: string[] }): Promise<GroupView[]> {
  return (await fetchClusterView(source, options)).groups;
}

export async function fetchClusterView(source: GroupSource, { topic, groups }: { topic: string; groups: string[] }): Promise<ClusterView> {
  const configured = groups.length > 0;
  let endsAt = 0;
  const [offsets, ids] = await Promise.all([
    source.topicOffsets(topic).then((o) => {
      endsAt = o.readAt ?? Date.now();
      return o;
    }),
    configured ? Promise.resolve(groups) : source.listGroups().then((gs) => gs.map((g) => g.group)),
  ]);
  const described = await source.describeGroups(ids, topic);
  const raws: RawGroup[] = await Promise.all(described.map(async (d) => ({ ...d, committed: await source.committedOffsets(d.group, topic) })));
  const views = raws
    .filter((r) => configured || concernsTopic(r))
    .sort((a, b) => a.group.localeCompare(b.group))
    .map((r) => buildGroupView(r, offsets));
  return { groups: views, replicas: offsets.replicas ?? [], ends: { at: endsAt, end: offsets.end } };
}

/** GroupViews fed by polling a GroupSource in this process: one poll = one consistent picture. */
export class GroupPoller extends GroupViews {
  constructor(
    private readonly source: GroupSource,
    private readonly options: PollerOptions,
  ) {
    super(options);
  }

  /** Polls once. Resolves with the membership changes since the previous poll; throws if Kafka did not answer. */
  async poll(): Promise<MembershipEvent[]> {
    let view: ClusterView;
    try {
      view = await fetchClusterView(this.source, this.options);
    } catch (err) {
      this.failed(err);
      throw err;
    }
    return this.succeeded(view.groups, view.replicas, view.ends);
  }
}
