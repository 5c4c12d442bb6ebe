import Kafka from 'node-rdkafka';

/**
 * The one place where librdkafka's numeric error codes are interpreted.
 */
const E = Kafka.CODES.ERRORS;

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
