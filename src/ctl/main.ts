import { statusLines, type GroupsDocument } from './status-table';

/**
 * The instructor's controls as words instead of curl: `lab rate 500`, `lab partitions 16`,
 * `lab status`, run inside the image (`docker compose exec producer lab ...`), so they read the
 * same in bash, PowerShell and cmd. They talk to the load generator and the observer over the
 * compose network; LAB_LOADGEN_URL and LAB_OBSERVER_URL point them elsewhere.
 */
export const CTL_USAGE = [
  'usage: lab rate [MESSAGES_PER_SECOND]   show or set the load generator rate',
  '       lab partitions [COUNT]           show or grow the topic partitions (they only grow)',
  '       lab status                       the group as a table: member, host, partitions, lag',
].join('\n');

const TIMEOUT_MS = 10_000;

export interface CtlIo {
  line(text: string): void;
  fetch: typeof fetch;
}

const defaultIo: CtlIo = { line: (t) => process.stdout.write(`${t}\n`), fetch: (...a) => fetch(...a) };

function urls(env: NodeJS.ProcessEnv) {
  // In the producer's container the load generator is itself; the observer is a service name away.
  return {
    loadgen: (env.LAB_LOADGEN_URL?.trim() || 'http://127.0.0.1:8080').replace(/\/$/, ''),
    observer: (env.LAB_OBSERVER_URL?.trim() || 'http://observer:8080').replace(/\/$/, ''),
  };
}

async function call(io: CtlIo, url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await io.fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CtlError(`cannot reach ${url} (${cause}): is the stack up (docker compose ps)?`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new CtlError(`${url} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
}

export class CtlError extends Error {}

/** Exit code: 0 done, 1 refused or unreachable, 2 usage. */
export async function runCtl(command: string, args: string[], env: NodeJS.ProcessEnv, io: CtlIo = defaultIo): Promise<number> {
  const { loadgen, observer } = urls(env);
  if (args.length > (command === 'status' ? 0 : 1) || args.some((a) => a === '--help' || a === '-h')) {
    io.line(CTL_USAGE);
    return args.some((a) => a === '--help' || a === '-h') ? 0 : 2;
  }
  try {
    if (command === 'rate' || command === 'partitions') {
      const url = `${loadgen}/${command}`;
      const { status, body } = args.length === 0 ? await call(io, url) : await call(io, url, { method: 'PUT', body: args[0], headers: { 'content-type': 'text/plain' } });
      if (status !== 200) {
        io.line(`refused (${status}): ${String(body.error ?? JSON.stringify(body))}`);
        return 1;
      }
      io.line(command === 'rate' ? `rate: ${String(body.rate)} messages/s` : `partitions: ${String(body.partitions)}`);
      return 0;
    }
    const { body } = await call(io, `${observer}/groups`);
    let gen: { rate: number; partitions: number } | null = null;
    try {
      const s = (await call(io, `${loadgen}/status`)).body;
      gen = { rate: Number(s.rate), partitions: Number(s.partitions) };
    } catch {
      // The table is the point; the load generator's line is a bonus (lab status from elsewhere).
    }
    for (const l of statusLines(body as unknown as GroupsDocument, gen)) io.line(l);
    return 0;
  } catch (err) {
    if (!(err instanceof CtlError)) throw err;
    io.line(err.message);
    return 1;
  }
}
