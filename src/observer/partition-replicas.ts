/**
 * Where each partition of the observed topic lives: its leader, its replicas and which of them are
 * in sync, as broker ids. What a failover lesson watches move when a broker dies.
 */
export interface PartitionReplicas {
  partition: number;
  /** null while the partition has no leader (offline). */
  leader: number | null;
  /** In assignment order: the first is the preferred leader. */
  replicas: number[];
  isr: number[];
}

/** The shape describeTopics of @confluentinc/kafka-javascript gives per partition. */
export interface DescribedPartition {
  partition: number;
  leader: { id: number } | null;
  replicas: { id: number }[];
  isr: { id: number }[];
}

export function replicasOf(partitions: readonly DescribedPartition[]): PartitionReplicas[] {
  return partitions
    .map((p) => ({ partition: p.partition, leader: p.leader?.id ?? null, replicas: p.replicas.map((r) => r.id), isr: p.isr.map((r) => r.id) }))
    .sort((a, b) => a.partition - b.partition);
}
