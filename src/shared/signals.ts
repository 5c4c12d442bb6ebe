import type { Logger } from 'pino';

/**
 * First SIGTERM/SIGINT: run `stop` and exit 0 (or 1 if it fails or overruns `deadlineMs`).
 * Second signal: exit at once; whoever sends it has stopped waiting.
 * Returns a function that starts the same stop from inside the program, with its own exit code.
 *
 * `nativeCallPending` says whether a Kafka client call that may never return (librdkafka's close
 * on a network that went silent) is running on a libuv worker thread. Node's exit waits for
 * every worker thread, so process.exit() would hang as long as that call; then the process ends
 * itself with SIGKILL instead, the one way out that does not wait.
 */
export function onShutdownSignals(
  log: Logger,
  deadlineMs: number,
  stop: (signal: string) => Promise<void>,
  { nativeCallPending = () => false }: { nativeCallPending?: () => boolean } = {},
): (reason: string, exitCode: number) => void {
  let stopping = false;
  let code = 0;
  const exitNow = (exitCode: number): never => {
    if (nativeCallPending()) {
      log.error({ exitCode }, 'a Kafka client call is still waiting for a broker that does not answer, and Node cannot exit before it returns: ending the process with SIGKILL');
      process.kill(process.pid, 'SIGKILL');
    }
    return process.exit(exitCode);
  };
  const handler = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting immediately');
      exitNow(130);
    }
    stopping = true;
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'graceful stop took too long; exiting');
      exitNow(1);
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
  // exit with the program's code, not as if a second signal had come. While a Kafka call holds a
  // worker thread, Node could not exit anyway: the running stop ends with this code once the call
  // returns (a fatal error makes librdkafka's calls return), or the deadline ends it.
  return (reason, exitCode) => {
    code = exitCode;
    if (stopping) {
      if (nativeCallPending()) {
        log.warn({ reason, exitCode }, 'stopping already; exiting with this code once the Kafka client call returns');
        return;
      }
      log.warn({ reason, exitCode }, 'stopping already; exiting now');
      process.exit(exitCode);
    }
    handler(reason);
  };
}
