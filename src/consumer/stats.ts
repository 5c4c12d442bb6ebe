/**
 * Reads librdkafka's statistics JSON (statistics.interval.ms). Only partitions whose fetch state is
 * "active" are trusted: for others librdkafka reports stale or placeholder offsets. Negative values
 * (-1 unknown, -1001 OFFSET_INVALID) mean "not known" and are dropped, never exported as numbers.
 */
export interface PartitionOffsets {
  partition: number;
  committed: number | null;
  position: number | null;
  highWatermark: number | null;
  lag: number | null;
}

export interface StatsSnapshot {
  partitions: PartitionOffsets[];
  /** librdkafka's consumer group state ("up", "wait-coord", ...), null if no group info. */
  groupState: string | null;
  joinState: string | null;
  /** True if at least one real broker connection is up. */
  brokersUp: boolean;
  /**
   * How many brokers the client could still connect to (bootstrap or learned), up or not. Zero
   * only when librdkafka has dropped them all: see GroupMember's check of it.
   */
  brokerHandles: number;
}

interface RawPartition {
  partition?: number;
  fetch_state?: string;
  committed_offset?: number;
  app_offset?: number;
  hi_offset?: number;
  consumer_lag?: number;
}

const known = (v: number | undefined): number | null => (typeof v === 'number' && v >= 0 ? v : null);

export function parseStats(json: string, topic: string): StatsSnapshot {
  const stats = JSON.parse(json) as {
    topics?: Record<string, { partitions?: Record<string, RawPartition> }>;
    cgrp?: { state?: string; join_state?: string };
    brokers?: Record<string, { state?: string; nodeid?: number; source?: string }>;
  };
  const partitions: PartitionOffsets[] = [];
  for (const raw of Object.values(stats.topics?.[topic]?.partitions ?? {})) {
    // partition -1 is librdkafka's internal "unassigned" partition
    if (typeof raw.partition !== 'number' || raw.partition < 0 || raw.fetch_state !== 'active') continue;
    partitions.push({
      partition: raw.partition,
      committed: known(raw.committed_offset),
      position: known(raw.app_offset),
      highWatermark: known(raw.hi_offset),
      lag: known(raw.consumer_lag),
    });
  }
  // The bootstrap entries have nodeid -1 and the coordinator duplicates a broker; any real one UP will do.
  const brokersUp = Object.values(stats.brokers ?? {}).some((b) => b.state === 'UP' && (b.nodeid ?? -1) >= 0);
  return {
    partitions: partitions.sort((a, b) => a.partition - b.partition),
    groupState: stats.cgrp?.state ?? null,
    joinState: stats.cgrp?.join_state ?? null,
    brokersUp,
    // Internal and logical entries (the coordinator's alias) are no broker of their own.
    brokerHandles: Object.values(stats.brokers ?? {}).filter((b) => b.source === 'configured' || b.source === 'learned').length,
  };
}
