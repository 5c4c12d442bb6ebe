/**
 * Per-partition sequence bookkeeping for one consumer process.
 *
 * - redelivery: a sequence at or below the highest this process already processed on the partition
 *   (for the same load-generator run). At-least-once allows it; the count shows its cost.
 * - gap: a jump past highest + 1 while this process owned the partition without interruption.
 *   Gaps mean lost messages and must stay at zero.
 *
 * When a partition is (re)assigned, the first message may legitimately jump: another member
 * processed the messages in between. So the first message after an assignment does not count as
 * a gap, unless its offset directly follows the last one this process handled on the partition:
 * then nobody else processed anything in between (an eager rebalance that gave the partition
 * straight back), and a jump is a real gap.
 */
export type SequenceVerdict = 'first' | 'next' | 'redelivery' | 'gap';

interface PartitionSequence {
  run: string;
  highest: number;
  /** Offset after the last message handled here. */
  nextOffset: number;
  /** True until the first message after an assignment has been seen. */
  handover: boolean;
}

export class SequenceTracker {
  private readonly partitions = new Map<number, PartitionSequence>();

  /** Call when the partition is assigned to this process. */
  assigned(partition: number): void {
    const state = this.partitions.get(partition);
    if (state) state.handover = true;
  }

  observe(partition: number, run: string, partitionSeq: number, offset: number): { verdict: SequenceVerdict; missing: number } {
    const state = this.partitions.get(partition);
    if (!state || state.run !== run) {
      this.partitions.set(partition, { run, highest: partitionSeq, nextOffset: offset + 1, handover: false });
      return { verdict: 'first', missing: 0 };
    }
    const handover = state.handover && offset !== state.nextOffset;
    state.handover = false;
    state.nextOffset = offset + 1;
    if (partitionSeq <= state.highest) return { verdict: 'redelivery', missing: 0 };
    const missing = partitionSeq - state.highest - 1;
    state.highest = partitionSeq;
    if (missing > 0 && !handover) return { verdict: 'gap', missing };
    return { verdict: handover ? 'first' : 'next', missing: 0 };
  }
}
