import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/shared/logger';

/** A logger as the programs make it, whose JSON lines a test reads back from `lines`. */
export function capturedLog(level = 'info', base: Record<string, unknown> = {}): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger(level, base, sink), lines };
}
