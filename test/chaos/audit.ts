/**
 * The chaos test's verdict, as plain functions over what the consumers logged (one "processed"
 * line per message at LOG_LEVEL=trace) and what the faults left uncommitted. These are the
 * invariants of Kafka's own consumer system test: every offset is processed at least once, and a
 * message is processed again only where a fault allowed it.
 */

export interface ProcessedRecord {
  partition: number;
  offset: number;
  /** When it was processed (ms since the epoch, from the log line). */
  at: number;
}

/**
 * Offsets [from, to) of one partition that were processed but not committed when a fault struck:
 * whoever owns the partition next starts again at `from`, so these may be processed twice.
 */
export interface UncommittedWindow {
  step: number;
  /** When the fault struck (ms since the epoch): only a processing after it can be its duplicate. */
  at: number;
  partition: number;
  from: number;
  to: number;
}

export interface AuditResult {
  /** Distinct offsets below the end offsets: the messages produced. */
  messages: number;
  /** Processings beyond the first. */
  duplicates: number;
  /** Sum of the windows' sizes: how many duplicates the faults allowed. */
  allowed: number;
  /** "partition:offset" never processed. */
  missing: string[];
  /** "partition:offset xN" processed more often than the faults before and covering it allow. */
  unexplained: string[];
  /** Duplicates per step, each given to the earliest fault whose window covers it and has room. */
  duplicatesByStep: Map<number, number>;
}

/** Per partition and offset, when it was processed, earliest first. */
export function processings(records: Iterable<ProcessedRecord>): Map<number, Map<number, number[]>> {
  const out = new Map<number, Map<number, number[]>>();
  for (const { partition, offset, at } of records) {
    let byOffset = out.get(partition);
    if (!byOffset) out.set(partition, (byOffset = new Map()));
    const times = byOffset.get(offset);
    if (times) times.push(at);
    else byOffset.set(offset, [at]);
  }
  for (const byOffset of out.values()) for (const times of byOffset.values()) times.sort((a, b) => a - b);
  return out;
}

/** "partition:offset" for each offset below `ends` that nobody processed. */
export function missingOffsets(seen: Map<number, Map<number, unknown>>, ends: Map<number, number>): string[] {
  const out: string[] = [];
  for (const [partition, end] of ends) {
    const mine = seen.get(partition);
    for (let o = 0; o < end; o++) if (!mine?.has(o)) out.push(`${partition}:${o}`);
  }
  return out;
}

/**
 * Checks every offset below `ends`: processed at least once, and each later processing of it
 * matched to its own fault that struck before it and left the offset uncommitted.
 */
export function audit(records: Iterable<ProcessedRecord>, ends: Map<number, number>, windows: UncommittedWindow[]): AuditResult {
  const seen = processings(records);
  let messages = 0;
  let duplicates = 0;
  const unexplained: string[] = [];
  const duplicatesByStep = new Map<number, number>();
  for (const [partition, end] of ends) {
    messages += end;
    const mine = windows.filter((w) => w.partition === partition).sort((a, b) => a.at - b.at);
    for (const [offset, times] of seen.get(partition) ?? []) {
      if (offset >= end || times.length === 1) continue;
      duplicates += times.length - 1;
      // Earliest repeat first, each taking the earliest fault before it not yet used.
      const unused = mine.filter((w) => w.from <= offset && offset < w.to);
      let explained = true;
      for (const at of times.slice(1)) {
        const i = unused.findIndex((w) => w.at <= at);
        if (i < 0) {
          explained = false;
          continue;
        }
        const [w] = unused.splice(i, 1);
        duplicatesByStep.set(w.step, (duplicatesByStep.get(w.step) ?? 0) + 1);
      }
      if (!explained) unexplained.push(`${partition}:${offset} x${times.length}`);
    }
  }
  const allowed = windows.reduce((sum, w) => sum + Math.max(0, w.to - w.from), 0);
  return { messages, duplicates, allowed, missing: missingOffsets(seen, ends), unexplained, duplicatesByStep };
}

/**
 * The windows a fault leaves: for each partition, from the group's committed offset at the fault
 * to just past the highest offset the affected member(s) processed before they stopped working on
 * it. A partition with nothing processed past its commit leaves none.
 */
export function uncommittedWindows(step: number, at: number, committed: Map<number, number>, processedBefore: Iterable<Pick<ProcessedRecord, 'partition' | 'offset'>>): UncommittedWindow[] {
  const frontier = new Map<number, number>();
  for (const { partition, offset } of processedBefore) frontier.set(partition, Math.max(frontier.get(partition) ?? -1, offset + 1));
  const out: UncommittedWindow[] = [];
  for (const [partition, to] of [...frontier].sort((a, b) => a[0] - b[0])) {
    // No commit yet (-1, librdkafka's "invalid offset") means the next owner starts at the
    // beginning, given auto.offset.reset=earliest.
    const from = Math.max(0, committed.get(partition) ?? 0);
    if (to > from) out.push({ step, at, partition, from, to });
  }
  return out;
}

/** A small seeded generator (mulberry32): the same seed gives the same steps and victims. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates with the given generator. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
