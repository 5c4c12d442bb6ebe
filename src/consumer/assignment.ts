/**
 * What this member owns, and what it has processed but not yet committed. Plain state, driven by
 * the rebalance callbacks and the processing loop; no Kafka in here so tests can drive it directly.
 */
export type RebalanceEventType = 'assign' | 'revoke' | 'lost' | 'error';

export interface RebalanceRecord {
  type: RebalanceEventType;
  at: string;
  partitions: number[];
  /** From the first callback of this rebalance to the end of this one, in milliseconds. */
  durationMs: number;
  /**
   * On an assignment: how long this member, which owned partitions before, had none it could
   * process. Eager rebalances pause everything from the revocation to the assignment;
   * incremental ones leave the partitions that stay running (0).
   */
  pausedMs?: number;
}

interface Owned {
  /** Offset of the next message to process: what a commit would store. Null until something was processed. */
  nextOffset: number | null;
  /** False from the moment a revocation starts: no further message of this partition is processed. */
  active: boolean;
}

export class Assignment {
  private readonly owned = new Map<number, Owned>();
  private readonly counts: Record<RebalanceEventType, number> = { assign: 0, revoke: 0, lost: 0, error: 0 };
  private rebalanceStartedAt: number | null = null;
  private last: RebalanceRecord | null = null;
  private pausedSince: number | null = null;
  /** Set by every assignment (even an empty one): this member is in the group. Cleared when its assignment is lost. */
  joined = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Marks the start of a rebalance; idempotent until the rebalance ends with an assignment. */
  rebalanceStarted(): void {
    if (this.rebalanceStartedAt === null) this.rebalanceStartedAt = this.now();
  }

  assign(partitions: number[]): number[] {
    this.rebalanceStarted();
    const gained: number[] = [];
    for (const p of partitions) {
      // Held and still active: an incremental assignment repeating what we have. Held but
      // stopped (a revocation that went wrong): a new ownership like any other.
      if (this.owned.get(p)?.active) continue;
      this.owned.set(p, { nextOffset: null, active: true });
      gained.push(p);
    }
    this.joined = true;
    this.finish('assign', gained);
    return gained;
  }

  /** Stops processing of these partitions at once; the caller then stores their offsets and unassigns. */
  beginRevoke(partitions: number[]): void {
    this.rebalanceStarted();
    const hadActive = this.activeCount() > 0;
    for (const p of partitions) {
      const o = this.owned.get(p);
      if (o) o.active = false;
    }
    if (hadActive && this.activeCount() === 0 && this.pausedSince === null) this.pausedSince = this.now();
  }

  private activeCount(): number {
    let n = 0;
    for (const o of this.owned.values()) if (o.active) n++;
    return n;
  }

  finishRevoke(partitions: number[], type: 'revoke' | 'lost'): number[] {
    const removed = partitions.filter((p) => this.owned.delete(p));
    this.counts[type] += 1;
    // A lost assignment means the group no longer counts this member in: not ready until it
    // has rejoined and been assigned again.
    if (type === 'lost') this.joined = false;
    // The rebalance is not over until the following assignment; keep its start time.
    this.last = this.record(type, removed);
    return removed;
  }

  error(): void {
    this.counts.error += 1;
  }

  isActive(partition: number): boolean {
    return this.owned.get(partition)?.active === true;
  }

  /**
   * Whether to process this message: the partition is owned, not being revoked, and the offset
   * was not processed yet in this ownership. A batch fetched before an eager rebalance can still
   * hold messages of a partition that came straight back to us; librdkafka fetches them again
   * from the committed offset, and the second copy must not be processed twice.
   */
  accepts(partition: number, offset: number): boolean {
    const o = this.owned.get(partition);
    return o !== undefined && o.active && (o.nextOffset === null || offset >= o.nextOffset);
  }

  processed(partition: number, offset: number): void {
    const o = this.owned.get(partition);
    if (o) o.nextOffset = offset + 1;
  }

  partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  nextOffset(partition: number): number | null {
    return this.owned.get(partition)?.nextOffset ?? null;
  }

  rebalanceCounts(): Readonly<Record<RebalanceEventType, number>> {
    return this.counts;
  }

  lastRebalance(): RebalanceRecord | null {
    return this.last;
  }

  private finish(type: 'assign', partitions: number[]): void {
    this.counts[type] += 1;
    const pausedMs = this.pausedSince === null ? 0 : this.now() - this.pausedSince;
    // Still nothing to process after this assignment: the pause goes on.
    if (this.owned.size > 0) this.pausedSince = null;
    this.last = { ...this.record(type, partitions), pausedMs };
    this.rebalanceStartedAt = null;
  }

  private record(type: RebalanceEventType, partitions: number[]): RebalanceRecord {
    const now = this.now();
    return {
      type,
      at: new Date(now).toISOString(),
      partitions: [...partitions].sort((a, b) => a - b),
      durationMs: this.rebalanceStartedAt === null ? 0 : now - this.rebalanceStartedAt,
    };
  }
}
