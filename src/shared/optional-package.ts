/**
 * The observer's Kafka client is an optional dependency: whoever runs only the consumer and the load
 * generator installs with `npm ci --omit=optional` (or builds the image target `consumer`) and
 * compiles one librdkafka instead of two. Starting the observer there must end with one line that
 * says what to install, not a stack trace.
 */
export class MissingPackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingPackageError';
  }
}

/** True when `err` is Node failing to resolve the package `name` itself (not one of its files). */
function isMissing(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.startsWith(`Cannot find module '${name}'`);
}

/** For `import(...).catch(...)`: turns the absence of `name` into a MissingPackageError naming what to install. */
export function requirePackage(name: string, program: string) {
  return (err: unknown): never => {
    if (isMissing(err, name)) {
      throw new MissingPackageError(
        `${program} needs ${name}, which is not installed (npm ci --omit=optional and the image target consumer leave it out): ` +
          `install it with npm ci, or use the image target full`,
      );
    }
    throw err;
  };
}
