import assert from 'node:assert/strict';
import type { ConsumerProcess } from './consumer-process';
import { waitFor } from './wait';

/** How many owners each partition has. */
export function ownership(owners: Map<string, number[]>): Map<number, number> {
  const count = new Map<number, number>();
  for (const ps of owners.values()) for (const p of ps) count.set(p, (count.get(p) ?? 0) + 1);
  return new Map([...count.entries()].sort((x, y) => x[0] - y[0]));
}

/**
 * Waits until the live consumers own every partition exactly once and the split is balanced
 * (no member owns two more than another), which is where every assignor ends up after a
 * rebalance. Returns who owns what.
 */
export async function waitForOwnership(
  consumers: ConsumerProcess[],
  partitions: number,
  { timeoutMs = 30_000, allowIdle = false }: { timeoutMs?: number; allowIdle?: boolean } = {},
): Promise<Map<string, number[]>> {
  // What the replicas last said, for the failure message: a timeout alone does not say whether a
  // replica was not ready, a partition unowned or owned twice, or the split unbalanced.
  let last = 'no replica answered yet';
  return waitFor(
    async () => {
      const owners = new Map<string, number[]>();
      const said: string[] = [];
      for (const c of consumers) {
        const s = await c.status().catch(() => null);
        said.push(`${c.name}: ${!s ? 'no answer' : `${s.ready ? 'ready' : 'not ready'} [${s.assignedPartitions.map((p) => p.partition).join(',')}]`}`);
        if (!s || !s.ready) continue;
        owners.set(c.name, s.assignedPartitions.map((p) => p.partition));
      }
      last = said.join('; ');
      if (owners.size < consumers.length) return null;
      const counts = ownership(owners);
      const complete = counts.size === partitions && [...counts.values()].every((n) => n === 1);
      const sizes = [...owners.values()].map((o) => o.length);
      const balanced = Math.max(...sizes) - Math.min(...sizes) <= 1;
      const nobodyIdle = allowIdle || sizes.every((n) => n > 0);
      return complete && balanced && nobodyIdle ? owners : null;
    },
    { timeoutMs, what: `${partitions} partitions owned exactly once by ${consumers.map((c) => c.name).join(', ')}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${last}`);
  });
}

/** Every (partition, partitionSeq) the consumers processed, with how often. */
export function processedCounts(consumers: ConsumerProcess[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const c of consumers) for (const m of c.processed()) seen.set(`${m.partition}:${m.partitionSeq}`, (seen.get(`${m.partition}:${m.partitionSeq}`) ?? 0) + 1);
  return seen;
}

export function missing(seen: Map<string, number>, produced: Map<number, number>): string[] {
  const out: string[] = [];
  for (const [p, n] of produced) for (let s = 1; s <= n; s++) if (!seen.has(`${p}:${s}`)) out.push(`${p}:${s}`);
  return out;
}

/** Waits until every produced sequence was processed by one of the consumers. */
export async function allProcessed(consumers: ConsumerProcess[], produced: Map<number, number>, timeoutMs = 60_000): Promise<Map<string, number>> {
  await waitFor(() => missing(processedCounts(consumers), produced).length === 0, {
    timeoutMs,
    what: 'every produced message to be processed',
  }).catch((err) => {
    const gone = missing(processedCounts(consumers), produced);
    assert.fail(`${(err as Error).message}; ${gone.length} never processed, e.g. ${gone.slice(0, 10).join(', ')}`);
  });
  return processedCounts(consumers);
}

export function duplicates(seen: Map<string, number>): number {
  let d = 0;
  for (const n of seen.values()) d += n - 1;
  return d;
}
