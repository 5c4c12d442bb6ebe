import type { Express } from 'express';
import type { Server } from 'node:http';

/** The port is taken, or not ours to use: a start-up failure that names the variable. */
export class PortUnavailableError extends Error {}

/**
 * Starts listening and resolves once the port is bound. Express 5 hands a listen error to the
 * callback instead of throwing, which is easy to miss and leaves a program with no endpoints.
 */
export function listen(app: Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, (err?: Error) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        reject(new PortUnavailableError(`METRICS_PORT=${port} cannot be used (${code ?? err.message}): choose a free port`));
      } else resolve(server);
    });
  });
}
