import { cleanEnv, makeValidator, type ValidatorSpec } from 'envalid';

/**
 * Thin layer over envalid so that every rejected variable produces one message of the same shape:
 * the variable, the value given, and what is accepted. The programs print it and exit non-zero.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

class Rejected extends Error {}

export function intInRange(min: number, max: number) {
  return makeValidator<number>((raw) => {
    const text = raw.trim();
    if (!/^-?\d+$/.test(text)) throw new Rejected(`an integer from ${min} to ${max}`);
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Rejected(`an integer from ${min} to ${max}`);
    return n;
  });
}

export function oneOf<T extends string>(accepted: readonly T[]) {
  return makeValidator<T>((raw) => {
    const text = raw.trim();
    if (!(accepted as readonly string[]).includes(text)) throw new Rejected(`one of ${accepted.join(', ')}`);
    return text as T;
  });
}

/** A comma-separated list of host:port pairs, as librdkafka's bootstrap.servers takes it. */
export const brokerList = makeValidator<string>((raw) => {
  const entries = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const valid = entries.length > 0 && entries.every((e) => /^[^\s:,]+:\d{1,5}$/.test(e) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(e));
  if (!valid) throw new Rejected('a comma-separated list of host:port, e.g. localhost:9092');
  return entries.join(',');
});

export const nonEmptyText = makeValidator<string>((raw) => {
  const text = raw.trim();
  if (text.length === 0) throw new Rejected('a non-empty string');
  if (text.length > 249 || !/^[A-Za-z0-9._-]+$/.test(text)) {
    throw new Rejected('1 to 249 characters of letters, digits, ".", "_" or "-"');
  }
  return text;
});

export const anyText = makeValidator<string>((raw) => raw);

/**
 * Validates `env` against `specs`, collecting every problem before failing so a user fixes them
 * all in one go. `secret` names variables whose values must never be echoed back.
 */
export function parseEnv<S extends Record<string, ValidatorSpec<unknown>>>(
  env: NodeJS.ProcessEnv,
  specs: S,
  secret: ReadonlySet<string> = new Set(),
) {
  return cleanEnv(env, specs, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(([name, err]) => {
        const given = env[name];
        const shown = given === undefined ? 'unset' : secret.has(name) ? '(hidden)' : JSON.stringify(given);
        const accepted = err instanceof Rejected ? err.message : `a value (${(err as Error).message})`;
        return `${name}=${shown} is not accepted: expected ${accepted}`;
      });
      if (problems.length > 0) throw new ConfigError(problems);
    },
  });
}

/** A comma-separated list of group ids; empty means none given. */
export const groupIdList = makeValidator<string[]>((raw) => {
  const entries = raw.split(',').map((s) => s.trim());
  if (raw.trim() === '') return [];
  if (entries.some((e) => !/^[^\s,]{1,255}$/.test(e))) throw new Rejected('a comma-separated list of consumer group ids, e.g. lab-group,alice-group (or empty for every group on the topic)');
  return [...new Set(entries)];
});
