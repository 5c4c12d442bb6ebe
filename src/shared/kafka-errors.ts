import Kafka from 'node-rdkafka';

/**
 * The one place where librdkafka's numeric error codes are interpreted.
 */
const E = Kafka.CODES.ERRORS;

// Errors that mean this member no longer owns its partitions: committing would be refused and
// the partitions already belong to someone else. librdkafka reports the revocation that follows
// as a regular revoke, and node-rdkafka does not expose rd_kafka_assignment_lost().
const FENCING = new Set<number>([
  E.ERR_ILLEGAL_GENERATION,
  E.ERR_UNKNOWN_MEMBER_ID,
  E.ERR_FENCED_INSTANCE_ID,
  E.ERR__ASSIGNMENT_LOST,
  E.ERR_FENCED_MEMBER_EPOCH,
  E.ERR_STALE_MEMBER_EPOCH,
]);

export function isFencingError(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === 'number' && FENCING.has((err as { code: number }).code);
}

/** librdkafka's fatal errors: the client instance cannot be used any more. */
export function isFatalError(err: unknown): boolean {
  const e = err as { code?: unknown; isFatal?: unknown };
  return e?.isFatal === true || e?.code === E.ERR__FATAL;
}

/** A loggable summary of a librdkafka (or any) error, with the symbolic code name. */
export function describeKafkaError(err: unknown): { code?: number; name?: string; message: string } {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'number' ? e.code : undefined;
    const name = code === undefined ? undefined : codeName(code);
    return { code, name, message: String(e.message ?? err) };
  }
  return { message: String(err) };
}

let names: Map<number, string> | null = null;
function codeName(code: number): string | undefined {
  names ??= new Map(Object.entries(E).map(([k, v]) => [v as number, k]));
  return names.get(code);
}
