/**
 * The lines `join` prints while it is in the group: one when the partitions it owns change, and a
 * compact one every so often, so a participant sees at a glance that they still take part.
 */
export function ownedLine(at: Date, name: string, topic: string, partitions: readonly number[]): string {
  const time = at.toISOString().slice(11, 19);
  if (partitions.length === 0) return `${time} ${name} owns no partitions of ${topic} (more members than partitions, or a rebalance is under way)`;
  const sorted = [...partitions].sort((a, b) => a - b);
  return `${time} ${name} owns ${sorted.length} partition${sorted.length === 1 ? '' : 's'} of ${topic}: ${sorted.join(', ')}`;
}

export function heartbeatLine(at: Date, partitions: readonly number[], processedSinceLast: number, seconds: number): string {
  const time = at.toISOString().slice(11, 19);
  const owned = partitions.length === 0 ? 'none' : [...partitions].sort((a, b) => a - b).join(',');
  return `${time} still in the group: partitions ${owned}; ${processedSinceLast} messages in the last ${seconds} s`;
}

export function samePartitions(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((p) => s.has(p));
}
