/**
 * Participants' own programs against the lab's group (`npm run clients`, issue 18 item 2): for each
 * lab protocol, two of our consumers run the group on a real broker, then one program per client
 * library (Java KafkaConsumer, Python confluent-kafka, Go franz-go, KafkaJS, kcat) joins with the
 * settings docs/clients.md gives for that protocol, and again with a setting that does not fit.
 * Kafka's own kafka-consumer-groups.sh judges who is a member with partitions; the programs report
 * what they saw, refusals included. The measured table is printed, and compared with the one in
 * docs/clients.md (outcomes only; `--write` replaces it there).
 *
 * The client programs must be prepared first (test/clients/prepare.sh puts them in .cache/clients).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBroker } from '../support/broker';
import { ConsumerProcess } from '../support/consumer-process';
import { createTopic, uniqueName } from '../support/kafka';
import { describeMembersWithKafkaTool } from '../support/observer';
import { waitFor } from '../support/wait';
import type { LabProtocol } from '../../src/consumer/lab-protocol';

const ROOT = path.resolve(__dirname, '../../..');
const CACHE = path.join(ROOT, '.cache/clients');
const DOC = path.join(ROOT, 'docs/clients.md');
const PARTITIONS = 12;
/** How long a client has to get partitions: a JVM starting on a busy 2-core machine is the slowest. */
const JOIN_TIMEOUT_MS = 40_000;
/** After its first error, how long a refused client is watched in case it recovers by itself. */
const REFUSAL_GRACE_MS = 5_000;

type Client = 'Java KafkaConsumer' | 'Python confluent-kafka' | 'Go franz-go' | 'KafkaJS' | 'kcat';
const ALL_CLIENTS: Client[] = ['Java KafkaConsumer', 'Python confluent-kafka', 'Go franz-go', 'KafkaJS', 'kcat'];
/** CLIENTS_ONLY=KafkaJS,kcat narrows a run (names as in the table, comma-separated). */
const CLIENTS = process.env.CLIENTS_ONLY ? ALL_CLIENTS.filter((c) => process.env.CLIENTS_ONLY!.split(',').includes(c)) : ALL_CLIENTS;

/** What a participant sets, in the lab's terms; each client program maps it to its own settings. */
interface Ask {
  protocol: 'classic' | 'consumer';
  /** Empty: the client's own default. */
  assignor: '' | 'range' | 'roundrobin' | 'cooperative-sticky';
  staticMember: boolean;
}
interface Case {
  lab: LabProtocol;
  kind: 'lab settings' | 'mismatch';
  what: string;
  ask: Ask;
  /**
   * Each client alone with our consumers. Needed where one participant's client changes what the
   * next is allowed: classic members of a KIP-848 group must share an assignor name with the other
   * classic members, so in parallel the outcome would depend on who started first.
   */
  oneAtATime?: boolean;
}
const CASES: Case[] = [
  { lab: 'eager', kind: 'lab settings', what: 'range assignor', ask: { protocol: 'classic', assignor: 'range', staticMember: false } },
  { lab: 'eager', kind: 'mismatch', what: 'cooperative-sticky only', ask: { protocol: 'classic', assignor: 'cooperative-sticky', staticMember: false } },
  { lab: 'cooperative', kind: 'lab settings', what: 'cooperative-sticky assignor', ask: { protocol: 'classic', assignor: 'cooperative-sticky', staticMember: false } },
  { lab: 'cooperative', kind: 'mismatch', what: 'range (eager) only', ask: { protocol: 'classic', assignor: 'range', staticMember: false } },
  { lab: 'static', kind: 'lab settings', what: 'cooperative-sticky + own group.instance.id', ask: { protocol: 'classic', assignor: 'cooperative-sticky', staticMember: true } },
  { lab: 'static', kind: 'mismatch', what: 'range (eager) + own group.instance.id', ask: { protocol: 'classic', assignor: 'range', staticMember: true } },
  { lab: 'kip848', kind: 'lab settings', what: 'group.protocol=consumer, no assignor', ask: { protocol: 'consumer', assignor: '', staticMember: false } },
  { lab: 'kip848', kind: 'mismatch', what: 'group.protocol=consumer + a client-side assignor (roundrobin)', ask: { protocol: 'consumer', assignor: 'roundrobin', staticMember: false }, oneAtATime: true },
  { lab: 'kip848', kind: 'mismatch', what: 'classic protocol, client default assignor', ask: { protocol: 'classic', assignor: '', staticMember: false }, oneAtATime: true },
];
/**
 * Rows whose outcome is not the client's alone: classic members of a KIP-848 group must share an
 * assignor name with the classic members still listed, so whether a client with its default
 * assignor gets in depends on who joined before it and whether that one's session has ended (a
 * CI run saw Python and KafkaJS refused where the documented run had them joined). They are
 * reported, not compared.
 */
const VARIES = new Set(['kip848 / mismatch: classic protocol, client default assignor']);

interface ClientEvent {
  event: 'settings' | 'assigned' | 'error';
  settings?: string;
  partitions?: number[];
  message?: string;
}

/** One participant's program, started with the lab's ask mapped onto its own settings. */
class Participant {
  readonly events: ClientEvent[] = [];
  readonly started = Date.now();
  firstErrorAt: number | null = null;
  firstAssignedAt: number | null = null;
  exited = false;
  private stderr = '';
  private readonly child: ChildProcess;

  constructor(
    readonly client: Client,
    readonly clientId: string,
    bootstrap: string,
    group: string,
    topic: string,
    ask: Ask,
  ) {
    const env = {
      PATH: process.env.PATH,
      CL_BOOTSTRAP: bootstrap,
      CL_GROUP: group,
      CL_TOPIC: topic,
      CL_CLIENT_ID: clientId,
      CL_PROTOCOL: ask.protocol,
      CL_ASSIGNOR: ask.assignor,
      CL_INSTANCE_ID: ask.staticMember ? `${clientId}-instance` : '',
    };
    const [cmd, args] = commandFor(client, env);
    this.child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (client === 'kcat') continue; // kcat's stdout carries messages; its events come on stderr
        try {
          this.record(JSON.parse(line) as ClientEvent);
        } catch {
          // A library printing to stdout by itself (not our JSON) is not an event.
        }
      }
    });
    let errBuf = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      if (client !== 'kcat') return;
      errBuf += chunk;
      let nl: number;
      while ((nl = errBuf.indexOf('\n')) >= 0) {
        const line = errBuf.slice(0, nl);
        errBuf = errBuf.slice(nl + 1);
        this.record(kcatEvent(line, topic, this.kcatOwned));
      }
    });
    this.child.once('exit', () => (this.exited = true));
    if (client === 'kcat') this.record({ event: 'settings', settings: kcatSettings(ask) });
  }

  private readonly kcatOwned = new Set<number>();

  private record(e: ClientEvent | null): void {
    if (!e) return;
    if (process.env.CLIENTS_DEBUG) process.stderr.write(`${((Date.now() - this.started) / 1000).toFixed(1)} ${this.clientId} ${JSON.stringify(e)}\n`);
    this.events.push(e);
    if (e.event === 'error' && this.firstErrorAt === null) this.firstErrorAt = Date.now();
    if (e.event === 'assigned' && (e.partitions?.length ?? 0) > 0 && this.firstAssignedAt === null) this.firstAssignedAt = Date.now();
  }

  get settings(): string {
    return this.events.find((e) => e.event === 'settings')?.settings ?? '?';
  }

  /** Partitions it owns now by its own account. */
  get owned(): number[] {
    return [...this.events].reverse().find((e) => e.event === 'assigned')?.partitions ?? [];
  }

  /** The error that says most about a refusal: the first one, else what the program left on stderr. */
  get error(): string | null {
    const e = this.events.find((ev) => ev.event === 'error')?.message;
    if (e) return e;
    return this.exited && this.stderr.trim() ? this.stderr.trim().split('\n').pop()! : null;
  }

  /** Done watching: it owns partitions, it has exited, or it was refused and did not recover. */
  get settled(): boolean {
    if (this.owned.length > 0 || this.exited) return true;
    return this.firstErrorAt !== null && Date.now() - this.firstErrorAt > REFUSAL_GRACE_MS;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(killer);
  }
}

function commandFor(client: Client, env: Record<string, string | undefined>): [string, string[]] {
  switch (client) {
    case 'Java KafkaConsumer':
      return ['java', ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-cp', `${path.join(CACHE, 'java')}:${path.join(ROOT, '.cache/kafka-4.3.1/libs/*')}`, 'LabClient']];
    case 'Python confluent-kafka':
      return [path.join(CACHE, 'venv/bin/python'), [path.join(ROOT, 'test/clients/python/lab_client.py')]];
    case 'Go franz-go':
      return [path.join(CACHE, 'lab-client-go'), []];
    case 'KafkaJS':
      return [process.execPath, [path.join(ROOT, 'test/clients/kafkajs/lab-client.mjs')]];
    case 'kcat': {
      const x = (kv: string) => ['-X', kv];
      const args = ['-b', env.CL_BOOTSTRAP!, '-G', env.CL_GROUP!, ...x(`client.id=${env.CL_CLIENT_ID}`)];
      if (env.CL_PROTOCOL === 'consumer') args.push(...x('group.protocol=consumer'));
      if (env.CL_ASSIGNOR) args.push(...x(`partition.assignment.strategy=${env.CL_ASSIGNOR}`));
      if (env.CL_INSTANCE_ID) args.push(...x(`group.instance.id=${env.CL_INSTANCE_ID}`));
      return ['kcat', [...args, env.CL_TOPIC!]];
    }
  }
}

function kcatSettings(ask: Ask): string {
  const shown: string[] = [];
  if (ask.protocol === 'consumer') shown.push('-X group.protocol=consumer');
  if (ask.assignor) shown.push(`-X partition.assignment.strategy=${ask.assignor}`);
  if (ask.staticMember) shown.push('-X group.instance.id=<unique per participant>');
  return shown.length ? shown.join(' ') : '(defaults)';
}

/**
 * kcat's group notices on stderr: "% Group G rebalanced (memberid M): assigned: T [0], T [1]",
 * the incremental form "... incremental assign of 2 partition(s) ...: T [0], T [3]", revocations
 * the same way, and "% ERROR: ..." lines.
 */
function kcatEvent(line: string, topic: string, owned: Set<number>): ClientEvent | null {
  if (/ERROR|error|failed|Failed/.test(line) && !line.includes('rebalanced')) return { event: 'error', message: line.replace(/^%\s*/, '').trim() };
  if (!line.includes('rebalanced')) return null;
  const parts = [...line.matchAll(new RegExp(`${topic.replace(/[-.]/g, '\\$&')} \\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1]));
  const revoke = /revoke/.test(line);
  const incremental = /incremental/.test(line);
  if (!incremental && !revoke) owned.clear();
  for (const p of parts) (revoke ? owned.delete(p) : owned.add(p));
  if (!incremental && revoke) owned.clear();
  return { event: 'assigned', partitions: [...owned].sort((a, b) => a - b) };
}

interface Row {
  lab: LabProtocol;
  kind: Case['kind'];
  what: string;
  client: Client;
  settings: string;
  /** Kafka's view: a member of the group with at least one partition. */
  joined: boolean;
  partitions: number[];
  seconds: number | null;
  seen: string;
}

function shorten(s: string, n = 170): string {
  const one = s.replace(/\s+/g, ' ').replace(/\|/g, '/').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

async function runCase(bootstrap: string, c: Case, group: string, topic: string, ours: ConsumerProcess[]): Promise<Row[]> {
  if (!c.oneAtATime) return runClients(bootstrap, c, CLIENTS, group, topic, ours);
  const rows: Row[] = [];
  for (const client of CLIENTS) rows.push(...(await runClients(bootstrap, c, [client], group, topic, ours)));
  return rows;
}

/** `clients` join together; Kafka's tool then says which are members with partitions. */
async function runClients(bootstrap: string, c: Case, clients: Client[], group: string, topic: string, ours: ConsumerProcess[]): Promise<Row[]> {
  const tag = `${c.lab}-${c.kind === 'lab settings' ? 'ok' : 'mis'}${CASES.filter((o) => o.lab === c.lab && o.kind === c.kind).indexOf(c)}`;
  const participants = clients.map((client) => new Participant(client, `p${ALL_CLIENTS.indexOf(client) + 1}-${client.split(' ')[0]!.toLowerCase()}-${tag}`, bootstrap, group, topic, c.ask));
  try {
    await waitFor(() => participants.every((p) => p.settled), { timeoutMs: JOIN_TIMEOUT_MS, intervalMs: 250, what: 'every client to own partitions or be refused' }).catch(() => undefined);
    const claimed = participants.filter((p) => p.owned.length > 0);
    // Kafka's word on membership, once the clients that say they own partitions show so there
    // (an eager rebalance can leave the last snapshot of a late joiner empty for a moment).
    let members = describeMembersWithKafkaTool(group, topic);
    const listed = () => claimed.every((p) => members.some((m) => m.clientId === p.clientId && m.partitions.length > 0));
    const deadline = Date.now() + 20_000;
    while (!listed() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      members = describeMembersWithKafkaTool(group, topic);
    }
    for (const o of ours) {
      // A busy machine can make one /status call fail; a consumer that has exited fails them all.
      const owned = await waitFor(async () => (await o.owned()) ?? (o.exitCode !== null || o.exitSignal !== null ? 'gone' : null), { timeoutMs: 10_000, what: `${o.name} to answer` }).catch(() => null);
      if (owned === null || owned === 'gone') {
        const last = o.lines.slice(-5).map((l) => JSON.stringify(l)).join('\n  ');
        throw new Error(`our consumer ${o.name} stopped answering during "${c.lab} / ${c.what}" (exit ${o.exitCode ?? o.exitSignal}; last lines:\n  ${last}\n  stderr: ${o.stderr.slice(-500)})`);
      }
    }
    return participants.map((p) => {
      const m = members.find((mm) => mm.clientId === p.clientId);
      const joined = m !== undefined && m.partitions.length > 0;
      const err = p.error;
      return {
        lab: c.lab,
        kind: c.kind,
        what: c.what,
        client: p.client,
        settings: p.settings,
        joined,
        partitions: m?.partitions ?? [],
        seconds: joined && p.firstAssignedAt !== null ? (p.firstAssignedAt - p.started) / 1000 : null,
        seen: joined ? (err ? `joined; it also logged: ${shorten(err, 100)}` : 'joined') : err ? shorten(err) : m ? 'a member, no partitions' : 'nothing within the wait (no error either)',
      };
    });
  } finally {
    await Promise.all(participants.map((p) => p.stop()));
  }
}

const BEGIN = '<!-- clients-table:begin (written by `npm run clients -- --write`) -->';
const END = '<!-- clients-table:end -->';

function table(rows: Row[]): string {
  const lines = ['| Lab protocol | Case | Client | Settings | Joined, got partitions | What the client saw |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const verdict = r.joined ? `yes (${r.partitions.length} of ${PARTITIONS}${r.seconds !== null ? `, ${r.seconds.toFixed(1)} s` : ''})` : '**no**';
    lines.push(`| ${r.lab} | ${r.kind}: ${r.what} | ${r.client} | ${r.settings.replace(/\|/g, '/')} | ${verdict} | ${r.seen} |`);
  }
  return lines.join('\n');
}

/** The documented outcome of each row, to compare runs by (times and messages vary). */
function outcomes(text: string): Map<string, boolean> {
  const map = new Map<string, boolean>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((s) => s.trim());
    if (cells.length < 7 || !ALL_CLIENTS.includes(cells[3] as Client)) continue;
    map.set(`${cells[1]} / ${cells[2]} / ${cells[3]}`, cells[5]!.startsWith('yes'));
  }
  return map;
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const only = process.env.CLIENTS_PROTOCOLS?.split(',');
  const started = Date.now();
  const broker = await startBroker();
  process.env.KAFKA_BROKERS = broker.bootstrap;
  const rows: Row[] = [];
  const ours: ConsumerProcess[] = [];
  try {
    for (const lab of ['eager', 'cooperative', 'static', 'kip848'] as LabProtocol[]) {
      if (only && !only.includes(lab)) continue;
      const topic = uniqueName(`clients-${lab}`);
      const group = uniqueName(`clients-${lab}`);
      await createTopic(topic, PARTITIONS);
      const mine = ['lab-consumer-1', 'lab-consumer-2'].map((name) =>
        ConsumerProcess.start(name, { LAB_PROTOCOL: lab, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, LOG_LEVEL: 'info' }),
      );
      ours.push(...(await Promise.all(mine)));
      const pair = ours.slice(-2);
      await waitFor(async () => (await Promise.all(pair.map((o) => o.owned()))).every((p) => p !== null && p.length > 0), {
        timeoutMs: 60_000,
        what: `our two consumers (LAB_PROTOCOL=${lab}) to share the topic`,
      });
      for (const c of CASES.filter((cc) => cc.lab === lab)) {
        const t = Date.now();
        const got = await runCase(broker.bootstrap, c, group, topic, pair);
        rows.push(...got);
        process.stdout.write(`# ${lab} / ${c.kind}: ${c.what}: ${got.map((r) => `${r.client} ${r.joined ? 'joined' : 'refused'}`).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
      }
      await Promise.all(pair.map(async (o) => (o.signal('SIGTERM'), o.exit(20_000).catch(() => o.kill()))));
    }
  } finally {
    await Promise.all(ours.map((o) => o.kill()));
    await broker.stop();
  }

  const measured = table(rows);
  process.stdout.write(`\n${measured}\n\n`);
  const doc = readFileSync(DOC, 'utf8');
  const [head, rest] = doc.split(BEGIN);
  if (rest === undefined || !rest.includes(END)) throw new Error(`${DOC} has no table markers`);
  if (write) {
    writeFileSync(DOC, `${head}${BEGIN}\n${measured}\n${END}${rest.split(END)[1]}`);
    process.stdout.write(`clients: table written to docs/clients.md\n`);
  } else {
    const documented = outcomes(rest.split(END)[0]!);
    const now = outcomes(measured);
    const differ = [...now].filter(([k, v]) => !VARIES.has(k.slice(0, k.lastIndexOf(' / '))) && documented.get(k) !== v).map(([k, v]) => `${k}: documented ${documented.has(k) ? (documented.get(k) ? 'joined' : 'refused') : 'nothing'}, measured ${v ? 'joined' : 'refused'}`);
    if (differ.length > 0) {
      process.stdout.write(`clients: FAIL: docs/clients.md no longer says what the clients do:\n  ${differ.join('\n  ')}\n(after checking why, \`npm run clients -- --write\` rewrites the table)\n`);
      process.exitCode = 1;
    }
  }
  process.stdout.write(`clients: ${rows.filter((r) => r.joined).length} joined, ${rows.filter((r) => !r.joined).length} refused, ${rows.length} tries in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().catch((err) => {
  process.stderr.write(`clients: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
