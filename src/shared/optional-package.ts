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

/**
 * Stops with a MissingPackageError naming what to install when `name` cannot be resolved. Checked
 * before the program's modules load, so it also holds for a build made without them
 * (tsconfig.consumer.json leaves the observer out when its client is not installed).
 */
export function requirePackage(name: string, program: string): void {
  try {
    require.resolve(name);
  } catch {
    throw new MissingPackageError(
      `${program} needs ${name}, which is not installed (npm ci --omit=optional and the image target consumer leave it out): ` +
        `install it with npm ci, then npm run build; or use the image target full`,
    );
  }
}
