/**
 * librdkafka's error codes, interpreted. The table is passed in rather than imported because the
 * two Kafka libraries each bring their own librdkafka.so.1, and a process must load only the one it
 * uses (the first loaded serves both: see src/observer/kafka-client-process.ts).
 */
export type KafkaErrorCodes = Record<string, number>;

export interface KafkaErrorDescription {
  code?: number;
  name?: string;
  message: string;
}

export function kafkaErrorInterpreter(codes: KafkaErrorCodes): {
  /** librdkafka's fatal errors: the client instance cannot be used any more. */
  isFatalError(err: unknown): boolean;
  /** A loggable summary of a librdkafka (or any) error, with the symbolic code name. */
  describeKafkaError(err: unknown): KafkaErrorDescription;
} {
  let names: Map<number, string> | null = null;
  const codeName = (code: number): string | undefined => {
    names ??= new Map(Object.entries(codes).map(([k, v]) => [v, k]));
    return names.get(code);
  };
  return {
    isFatalError(err) {
      const e = err as { code?: unknown; isFatal?: unknown };
      return e?.isFatal === true || e?.code === codes.ERR__FATAL;
    },
    describeKafkaError(err) {
      if (err && typeof err === 'object') {
        const e = err as { code?: unknown; message?: unknown };
        const code = typeof e.code === 'number' ? e.code : undefined;
        const name = code === undefined ? undefined : codeName(code);
        return { code, name, message: String(e.message ?? err) };
      }
      return { message: String(err) };
    },
  };
}
