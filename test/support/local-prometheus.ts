import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './broker';
import { waitFor } from './wait';

export type Sample = { metric: Record<string, string>; value: [number, string] };

/** Debian's prometheus on this machine, with a test's own configuration, ready to be asked. */
export interface LocalPrometheus {
  api: string;
  /** An instant query; throws on a PromQL error. */
  query(expr: string): Promise<Sample[]>;
  /** GET of any API path (with its query string); throws on an error answer. */
  get<T>(pathAndQuery: string): Promise<T>;
  /** Kills it (its data is the caller's folder). */
  stop(): Promise<void>;
}

/** Starts Prometheus with `config` (prometheus.yml text) and its data under `dir`; waits until it is ready. */
export async function startLocalPrometheus(dir: string, config: string): Promise<LocalPrometheus> {
  const version = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (version.error) assert.fail(`prometheus is not installed (${version.error.message}): run apt-get install -y prometheus`);
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const child = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (log += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (log += c));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitFor(async () => (await fetch(`${api}/-/ready`)).ok, { timeoutMs: 30_000, what: 'Prometheus to start' });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; its log: ${log.slice(-500)}`);
  }
  const get = async <T>(pathAndQuery: string): Promise<T> => {
    const body = (await (await fetch(`${api}${pathAndQuery}`)).json()) as { status: string; error?: string; data: T };
    if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  return { api, get, query: async (expr) => (await get<{ result: Sample[] }>(`/api/v1/query?${new URLSearchParams({ query: expr })}`)).result, stop };
}
