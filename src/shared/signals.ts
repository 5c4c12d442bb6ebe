import type { Logger } from 'pino';

/**
 * First SIGTERM/SIGINT: run `stop` and exit 0 (or 1 if it fails or overruns `deadlineMs`).
 * Second signal: exit at once; whoever sends it has stopped waiting.
 * Returns a function that starts the same stop from inside the program, with its own exit code.
 */
export function onShutdownSignals(
  log: Logger,
  deadlineMs: number,
  stop: (signal: string) => Promise<void>,
): (reason: string, exitCode: number) => void {
  let stopping = false;
  let code = 0;
  const handler = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting immediately');
      process.exit(130);
    }
    stopping = true;
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'graceful stop took too long; exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    stop(signal).then(
      () => process.exit(code),
      (err) => {
        log.error({ err: String(err) }, 'graceful stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  // The same orderly stop, started by the program itself, ending with `exitCode`. If a stop is
  // already running (a fatal error while stopping), the program cannot finish it any better:
  // exit with the program's code, not as if a second signal had come.
  return (reason, exitCode) => {
    code = exitCode;
    if (stopping) {
      log.warn({ reason, exitCode }, 'stopping already; exiting now');
      process.exit(exitCode);
    }
    handler(reason);
  };
}
