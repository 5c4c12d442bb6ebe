/**
 * The pause each partition felt around one rebalance, computed from the consumers' per-message
 * audit lines alone (who processed which partition when). Pure: no Kafka, no clock, so the unit
 * tests can feed it synthetic lines.
 *
 * A partition's processing, in time order, falls into runs of one consumer each. Every change of
 * consumer after the event is a handover, and its pause is the new consumer's first processed
 * message minus the old consumer's last. A partition the owners say moved but whose new owner never
 * processed it in the window is an orphan: reported with how long it has been silent, never
 * dropped. A partition that kept its owner and shows no handover is kept: its longest silence from
 * the event on (the trailing one up to the window's end included) says whether it stopped at all.
 */

export interface ProcessedAt {
  consumer: string;
  partition: number;
  /** Milliseconds since the epoch, as the consumer logged it. */
  t: number;
}

export interface Handover {
  partition: number;
  from: string;
  to: string;
  /** The old consumer's last processed message on this partition. */
  lastAt: number;
  /** The new consumer's first. */
  firstAt: number;
  /** firstAt - lastAt; negative if both processed the partition at once. */
  pauseMs: number;
}

export interface Orphan {
  partition: number;
  /** Who processed it last (null if nobody did in the window). */
  from: string | null;
  lastAt: number | null;
  /** Who owns it after the event, per the consumers (null: nobody claims it). */
  owner: string | null;
  /** From its last processed message (or the event, if nobody ever processed it) to the window's end: a lower bound. */
  silentForMs: number;
}

/** A moved partition the new owner resumed, but that its old owner never processed: no start to measure from. */
export interface Unanchored {
  partition: number;
  /** The owner before the event, per the consumers. */
  from: string | null;
  to: string;
  firstAt: number;
  /** firstAt - the event: the pause was at least this long. */
  pauseAtLeastMs: number;
}

export interface KeptPartition {
  partition: number;
  owner: string;
  /** The longest interval without a processed message that ended (or was still open) after the event. */
  longestSilenceMs: number;
  /** Whether that silence exceeds the floor: the partition stopped, as far as the audit can tell. */
  stopped: boolean;
}

export interface PartitionPauses {
  handovers: Handover[];
  orphans: Orphan[];
  unanchored: Unanchored[];
  kept: KeptPartition[];
}

export interface PauseWindow {
  partitions: number;
  /**
   * When the event started. Handovers before it belong to an earlier event. Records before it are
   * still read, however old: a consumer that is behind may not have touched a partition for seconds
   * before the event, and its last message there is still where the partition's pause began.
   */
  eventAt: number;
  /** The end of the observation. */
  endAt: number;
  ownersBefore: ReadonlyMap<number, string>;
  ownersAfter: ReadonlyMap<number, string>;
  /** The quiet-time floor: silences up to this long happen without any rebalance. */
  floorMs: number;
}

interface Run {
  consumer: string;
  first: number;
  last: number;
}

function runsOf(times: ProcessedAt[]): Run[] {
  const runs: Run[] = [];
  for (const m of times) {
    const cur = runs[runs.length - 1];
    if (cur && cur.consumer === m.consumer) cur.last = m.t;
    else runs.push({ consumer: m.consumer, first: m.t, last: m.t });
  }
  return runs;
}

export function partitionPauses(records: readonly ProcessedAt[], w: PauseWindow): PartitionPauses {
  const start = w.eventAt;
  const byPartition = new Map<number, ProcessedAt[]>();
  for (const m of records) {
    if (m.t > w.endAt) continue;
    const list = byPartition.get(m.partition) ?? [];
    list.push(m);
    byPartition.set(m.partition, list);
  }
  const out: PartitionPauses = { handovers: [], orphans: [], unanchored: [], kept: [] };
  for (let p = 0; p < w.partitions; p++) {
    // Stable sort: equal timestamps keep log order, so one consumer's lines stay together.
    const list = (byPartition.get(p) ?? []).slice().sort((a, b) => a.t - b.t);
    const runs = runsOf(list);
    const before = w.ownersBefore.get(p) ?? null;
    const after = w.ownersAfter.get(p) ?? null;
    const handovers: Handover[] = [];
    for (let i = 1; i < runs.length; i++) {
      if (runs[i].first < w.eventAt) continue;
      const [a, b] = [runs[i - 1], runs[i]];
      handovers.push({ partition: p, from: a.consumer, to: b.consumer, lastAt: a.last, firstAt: b.first, pauseMs: b.first - a.last });
    }
    out.handovers.push(...handovers);
    const last = runs[runs.length - 1];
    const moved = before !== after || handovers.length > 0;
    if (moved) {
      if (!last || after === null || last.consumer !== after) {
        out.orphans.push({ partition: p, from: last?.consumer ?? null, lastAt: last?.last ?? null, owner: after, silentForMs: w.endAt - (last?.last ?? start) });
      } else if (handovers.length === 0) {
        const firstAt = runs.find((r) => r.consumer === after && r.first >= w.eventAt)?.first ?? last.first;
        out.unanchored.push({ partition: p, from: before, to: after, firstAt, pauseAtLeastMs: firstAt - w.eventAt });
      }
      continue;
    }
    let longest = 0;
    for (let i = 1; i < list.length; i++) if (list[i].t >= w.eventAt) longest = Math.max(longest, list[i].t - list[i - 1].t);
    longest = Math.max(longest, w.endAt - (last?.last ?? start));
    out.kept.push({ partition: p, owner: after ?? '', longestSilenceMs: longest, stopped: longest > w.floorMs });
  }
  return out;
}

/** Nearest-rank percentile (q in (0, 1]): a value that occurred; with fewer than 100 values p99 is the maximum. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1];
}

export interface PauseSummary {
  /** Handovers seen (a partition that moved twice counts twice). */
  handovers: number;
  handoverP50Ms: number | null;
  handoverP99Ms: number | null;
  /** Moved partitions whose new owner had not processed anything by the window's end. */
  orphans: number;
  /** Moved partitions resumed by the new owner that the old owner had never processed. */
  unanchored: number;
  kept: number;
  /** Kept partitions whose longest silence exceeded the floor. */
  keptStopped: number;
  keptSilenceP50Ms: number | null;
  keptSilenceP99Ms: number | null;
}

export function summarize(p: PartitionPauses): PauseSummary {
  const pauses = p.handovers.map((h) => h.pauseMs);
  const silences = p.kept.map((k) => k.longestSilenceMs);
  return {
    handovers: pauses.length,
    handoverP50Ms: percentile(pauses, 0.5),
    handoverP99Ms: percentile(pauses, 0.99),
    orphans: p.orphans.length,
    unanchored: p.unanchored.length,
    kept: p.kept.length,
    keptStopped: p.kept.filter((k) => k.stopped).length,
    keptSilenceP50Ms: percentile(silences, 0.5),
    keptSilenceP99Ms: percentile(silences, 0.99),
  };
}
