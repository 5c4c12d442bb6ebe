#!/usr/bin/env node
import { ConfigError } from './shared/env';
import { PortUnavailableError } from './shared/http-server';
import { MissingPackageError, requirePackage } from './shared/optional-package';

/**
 * One image, three programs: `main.js consumer`, `main.js loadgen` and `main.js observer`; and the
 * commands people type: `join` (a participant's laptop) and `rate`, `partitions`, `status` (the
 * instructor's controls). In the image `lab` runs this file: `lab status`.
 */
const USAGE = 'usage: node dist/src/main.js <consumer|loadgen|observer|join|rate|partitions|status> (in the image: lab <command>)';

async function main(argv: string[]): Promise<void> {
  const command = argv[2];
  if (command === 'consumer') {
    const { runConsumer } = await import('./consumer/main');
    await runConsumer(process.env);
  } else if (command === 'observer') {
    requirePackage('@confluentinc/kafka-javascript', 'the observer');
    // A specifier tsc does not follow, so that a build without the observer's optional client
    // (tsconfig.consumer.json) compiles.
    const observer: string = './observer/main';
    const { runObserver } = (await import(observer)) as { runObserver(env: NodeJS.ProcessEnv): Promise<void> };
    await runObserver(process.env);
  } else if (command === 'loadgen') {
    const { runLoadgen } = await import('./loadgen/main');
    await runLoadgen(process.env);
  } else if (command === 'join') {
    const { runJoin } = await import('./join/main');
    process.exitCode = await runJoin(argv.slice(3), process.env);
  } else if (command === 'rate' || command === 'partitions' || command === 'status') {
    const { runCtl } = await import('./ctl/main');
    process.exitCode = await runCtl(command, argv.slice(3), process.env);
  } else {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PortUnavailableError || err instanceof MissingPackageError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
