/**
 * `lab status`: the observer's /groups as a table a terminal shows in any shell, one row per member
 * (name, host, partitions, lag) and a row for partitions nobody owns. Plain text, padded with
 * spaces, no colour codes: cmd and PowerShell show it as bash does.
 */
export interface GroupsDocument {
  topic: string;
  stale: boolean;
  lastError: string | null;
  observedAt: string | null;
  groups: {
    group: string;
    state: string;
    protocol: string;
    assignor: string;
    totalLag: number | null;
    members: { member: string; clientId: string; clientHost: string; partitions: number[] }[];
    partitions: { partition: number; owner: string | null; lag: number | null }[];
  }[];
}

export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

/** "0,1,2,5" -> "0-2,5": twelve partitions fit a narrow terminal. */
export function partitionRanges(partitions: readonly number[]): string {
  const sorted = [...new Set(partitions)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',') || '-';
}

const lagText = (lag: number | null) => (lag === null ? '-' : String(lag));

export function statusLines(doc: GroupsDocument, loadgen: { rate: number; partitions: number } | null): string[] {
  const lines: string[] = [];
  lines.push(`topic ${doc.topic}` + (loadgen ? `: ${loadgen.partitions} partitions, load generator at ${loadgen.rate} msg/s` : ''));
  if (doc.stale) lines.push(`the observer cannot reach Kafka (${doc.lastError ?? 'no answer yet'}): this is its last view${doc.observedAt ? `, from ${doc.observedAt}` : ''}`);
  if (doc.groups.length === 0) lines.push(`no consumer group reads ${doc.topic} yet`);
  for (const g of doc.groups) {
    const protocol = g.protocol === 'consumer' ? `KIP-848 (${g.assignor || 'broker'})` : `classic ${g.assignor || ''}`.trimEnd();
    lines.push('');
    lines.push(`group ${g.group}: ${protocol}, ${g.state}, ${g.members.length} member${g.members.length === 1 ? '' : 's'}, lag ${lagText(g.totalLag)}`);
    const lagOf = (member: string): number | null => {
      const owned = g.partitions.filter((p) => p.owner === member);
      if (owned.some((p) => p.lag === null)) return null;
      return owned.reduce((sum, p) => sum + (p.lag ?? 0), 0);
    };
    const rows = [['MEMBER', 'HOST', 'PARTITIONS', 'LAG']];
    for (const m of [...g.members].sort((a, b) => a.member.localeCompare(b.member))) {
      rows.push([m.member, m.clientHost.replace(/^\//, ''), partitionRanges(m.partitions), lagText(lagOf(m.member))]);
    }
    const orphans = g.partitions.filter((p) => p.owner === null);
    if (g.members.length > 0 && orphans.length > 0) {
      const lag = orphans.some((p) => p.lag === null) ? null : orphans.reduce((s, p) => s + (p.lag ?? 0), 0);
      rows.push(['(nobody)', '-', partitionRanges(orphans.map((p) => p.partition)), lagText(lag)]);
    }
    if (rows.length > 1) lines.push(...table(rows).map((l) => `  ${l}`));
  }
  return lines;
}
