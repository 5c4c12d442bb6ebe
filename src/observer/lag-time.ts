/**
 * Lag in seconds, estimated from log-end offsets over time (docs/time.md says why this, and a
 * fetch of the record at the committed offset only where it cannot tell). Every poll already reads
 * each partition's log-end offset; kept with the time it was read, those samples say when each
 * offset was written, so the age of the oldest unprocessed record (the one at the committed
 * offset) costs no extra request. Where they cannot (a burst, a stream's first poll:
 * undatedRanges), the record's own timestamp, read by the observer's Kafka client process, is
 * recorded here and takes precedence. Pure: the observer feeds it one poll at a time, tests feed
 * it numbers.
 */

interface Sample {
  at: number;
  end: number;
}

export class EndOffsetHistory {
  private readonly samples = new Map<number, Sample[]>();
  /** Records whose own timestamp was read (see wantsTimestamp), per partition: offset -> ms. */
  private readonly stamped = new Map<number, Map<number, number>>();

  /** @param maxSamples per partition; one per poll while the end moves, so 3600 is an hour at 1 s. */
  constructor(private readonly maxSamples = 3600) {}

  record(partition: number, at: number, end: number): void {
    let s = this.samples.get(partition);
    if (!s) this.samples.set(partition, (s = []));
    const last = s[s.length - 1];
    // The log went backwards: the topic was recreated; what was known about it is void.
    if (last && end < last.end) {
      s.length = 0;
      this.stamped.delete(partition);
    }
    const before = s[s.length - 2];
    // A flat stretch needs only its first and last sample: the last bounds when the next record came.
    if (last && before && last.end === end && before.end === end) last.at = Math.max(last.at, at);
    else s.push({ at, end });
    if (s.length > this.maxSamples) s.splice(0, s.length - this.maxSamples);
  }

  /**
   * When the record at `offset` was written, in ms since the epoch, or null if it was not yet
   * (offset at or past the last known end) or nothing is known of the partition. Between two
   * samples the records are taken as evenly spread; before the oldest sample the history's mean
   * rate is extrapolated, and with no rate to go by the oldest sample is the answer (a lower bound
   * of the age).
   */
  writtenAt(partition: number, offset: number): number | null {
    const s = this.samples.get(partition);
    if (!s || s.length === 0) return null;
    const k = s.findIndex((x) => x.end > offset);
    if (k < 0) return null;
    if (k > 0) {
      const stamp = this.stamped.get(partition)?.get(offset);
      // The record's own timestamp is the producer's clock (or the broker's); the polls that saw
      // it arrive bound it on ours, so a laptop whose clock is off cannot move it further.
      if (stamp !== undefined) return Math.min(s[k]!.at, Math.max(s[k - 1]!.at, stamp));
      return datedWithin(s, k, offset);
    }
    const first = s[0]!;
    const last = s[s.length - 1]!;
    const rate = last.at > first.at ? (last.end - first.end) / (last.at - first.at) : 0;
    return rate > 0 ? first.at - (first.end - (offset + 1)) / rate : first.at;
  }

  /**
   * Offset ranges [from, to) whose records are worth reading for their own timestamp, newest
   * last, at most `max`: intervals evenly spread although their rate is unlike a neighbour's (a
   * burst, the first poll of a stream), where the estimate may be off by up to a whole poll
   * interval. In steady traffic the even spread is within a few ms and there are none.
   */
  undatedRanges(partition: number, max = 8): [number, number][] {
    const s = this.samples.get(partition);
    if (!s) return [];
    const ranges: [number, number][] = [];
    for (let k = s.length - 1; k > 0 && ranges.length < max; k--) {
      if (s[k]!.end > s[k - 1]!.end && undatable(s, k)) ranges.unshift([s[k - 1]!.end, s[k]!.end]);
    }
    return ranges;
  }

  /** Whether the record at `offset` has been dated by its own timestamp. */
  hasTimestamp(partition: number, offset: number): boolean {
    return this.stamped.get(partition)?.has(offset) ?? false;
  }

  /** The timestamp of the record at `offset`, as read from Kafka. */
  recordTimestamp(partition: number, offset: number, timestamp: number): void {
    let m = this.stamped.get(partition);
    if (!m) this.stamped.set(partition, (m = new Map()));
    m.set(offset, timestamp);
    // Committed offsets only move forward: the oldest stamps are the ones no longer asked for.
    if (m.size > MAX_STAMPS) m.delete(m.keys().next().value!);
  }

  partitions(): number[] {
    return [...this.samples.keys()];
  }

  /** Forget partitions the topic no longer has. */
  retain(partitions: Iterable<number>): void {
    const keep = new Set(partitions);
    for (const p of this.samples.keys()) if (!keep.has(p)) this.samples.delete(p);
    for (const p of this.stamped.keys()) if (!keep.has(p)) this.stamped.delete(p);
  }
}

/** Records per ms between samples i and j, or 0 when the log did not move (or there is no sample i). */
function rateBetween(s: Sample[], i: number, j: number): number {
  const a = s[i];
  const b = s[j];
  if (!a || !b || b.end <= a.end || b.at <= a.at) return 0;
  return (b.end - a.end) / (b.at - a.at);
}

const MAX_STAMPS = 256;

/** The rules datedWithin applies, for interval k: which one dates its records. */
function datingRule(s: Sample[], k: number): 'after' | 'before' | 'spread' {
  const a = s[k - 1]!;
  const b = s[k]!;
  const before = rateBetween(s, k - 2, k - 1);
  const after = rateBetween(s, k, k + 1);
  const quietBefore = k >= 2 && before === 0;
  const quietAfter = k + 1 < s.length && after === 0;
  // Each rule only if the whole interval's records fit inside it at that rate; if not, that rate is
  // not what brought them (a burst, say), and the even spread is the better guess.
  if (quietBefore && after > 0 && b.at - (b.end - (a.end + 1)) / after > a.at) return 'after';
  if (quietAfter && before > 0 && a.at + (b.end - a.end) / before <= b.at) return 'before';
  return 'spread';
}

/**
 * Interval k is dated by the even spread although its records may be off by up to the whole
 * interval: next to a quiet stretch (a burst, a stream's first poll, production that stopped
 * inside it), or unlike the traffic on both sides (more than twice or under half as fast: a burst
 * on top of steady traffic; for the newest interval, unlike the one before).
 */
function undatable(s: Sample[], k: number): boolean {
  if (datingRule(s, k) !== 'spread') return false;
  const before = k >= 2 ? rateBetween(s, k - 2, k - 1) : null;
  const after = k + 1 < s.length ? rateBetween(s, k, k + 1) : null;
  if (before === 0 || after === 0) return true;
  const here = rateBetween(s, k - 1, k);
  const unlike = (r: number | null) => (r === null ? null : here > 2 * r || here < r / 2);
  const [b, a] = [unlike(before), unlike(after)];
  return a === null ? b === true : b === null ? a : a && b;
}

/**
 * When `offset`, written between samples k-1 and k, came. Evenly spread over the interval unless
 * its neighbours say otherwise: after a quiet stretch the records started at some moment inside
 * the interval, not at its start, so they are dated back from its end at the rate of the interval
 * that follows (a consumer paused as production resumes would otherwise read up to one poll
 * interval too old for as long as it stays paused); likewise records followed by a quiet stretch
 * are dated forward from the interval's start at the rate before it. Always within the interval.
 */
function datedWithin(s: Sample[], k: number, offset: number): number {
  const a = s[k - 1]!;
  const b = s[k]!;
  switch (datingRule(s, k)) {
    case 'after':
      return b.at - (b.end - (offset + 1)) / rateBetween(s, k, k + 1);
    case 'before':
      return a.at + (offset + 1 - a.end) / rateBetween(s, k - 2, k - 1);
    default:
      return a.at + ((offset + 1 - a.end) / (b.end - a.end)) * (b.at - a.at);
  }
}

/**
 * How old the oldest record the group has not processed is, in seconds, at `now`: 0 when the
 * committed offset is at the end (caught up), null when there is no committed offset or nothing
 * known of the partition.
 */
export function lagSeconds(history: EndOffsetHistory, partition: number, committed: number | null, end: number | null, now: number): number | null {
  if (committed === null || end === null) return null;
  if (committed >= end) return 0;
  const written = history.writtenAt(partition, committed);
  if (written === null) return null;
  return Math.max(0, (now - written) / 1000);
}
