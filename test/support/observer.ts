import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ConsumerProcess } from './consumer-process';
import { brokers } from './kafka';

/** /groups of the observer, as the tests read it. */
export interface ObservedGroups {
  topic: string;
  up: boolean;
  groups: {
    group: string;
    state: string;
    protocol: string;
    assignor: string;
    members: { member: string; memberId: string; clientId: string; clientHost: string; instanceId: string | null; partitions: number[]; targetPartitions?: number[] }[];
    partitions: { partition: number; owner: string | null; committed: number | null; end: number | null; lag: number | null }[];
  }[];
}

/** How often the tests' observer polls. */
export const TEST_OBSERVER_INTERVAL_MS = 250;

/** The observer as a real child process, polling fast so tests do not wait on it. */
export async function startObserver(env: Record<string, string>): Promise<ConsumerProcess> {
  return ConsumerProcess.start('observer', { OBSERVER_INTERVAL_MS: String(TEST_OBSERVER_INTERVAL_MS), LOG_LEVEL: 'info', ...env }, 'observer');
}

export async function observed(observer: ConsumerProcess, group: string): Promise<ObservedGroups['groups'][number] | undefined> {
  const res = await fetch(`http://127.0.0.1:${observer.port}/groups`);
  const doc = (await res.json()) as ObservedGroups;
  return doc.groups.find((g) => g.group === group);
}

/**
 * Each partition's owner by client id (our replicas' names), or null. The observer keeps a member's
 * display name while it stays, so a replica that rejoined while its old session was still listed
 * (a broker restart, a kill) is shown as `c1@host#id`: right for the dashboard, and not a
 * disagreement with the replica's own name.
 */
export function ownersByClientId(
  g: { members: { member: string; clientId: string }[]; partitions: { partition: number; owner: string | null }[] } | undefined,
): Map<number, string | null> {
  const clientOf = new Map((g?.members ?? []).map((m) => [m.member, m.clientId]));
  return new Map((g?.partitions ?? []).map((p) => [p.partition, p.owner === null ? null : (clientOf.get(p.owner) ?? p.owner)]));
}

const ROOT = path.resolve(__dirname, '../../..');
function kafkaClasspath(): string {
  const libs = execFileSync(path.join(ROOT, 'scripts/kafka-jars.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return `${libs}/*`;
}

export interface DescribedMember {
  memberId: string;
  host: string;
  clientId: string;
  partitions: number[];
  targetPartitions: number[] | null;
}

/** Partitions of `topic` in the tool's "t:0,1,2" (or "t1:0;t2:1") assignment column; '-' is none. */
function partitionsOf(column: string, topic: string): number[] {
  if (column === '-') return [];
  const mine = column.split(';').find((part) => part.startsWith(`${topic}:`));
  return mine ? mine.slice(topic.length + 1).split(',').filter(Boolean).map(Number).sort((a, b) => a - b) : [];
}

/**
 * What Kafka's own `kafka-consumer-groups.sh --describe --members --verbose` prints for a group,
 * parsed: the reference the observer is held to.
 */
export function describeMembersWithKafkaTool(group: string, topic: string): DescribedMember[] {
  const out = execFileSync(
    'java',
    ['-Xmx256m', '-cp', kafkaClasspath(), 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', '--bootstrap-server', brokers(), '--describe', '--members', '--verbose', '--group', group],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const header = lines.findIndex((l) => l.startsWith('GROUP '));
  if (header < 0) throw new Error(`unexpected kafka-consumer-groups output:\n${out}`);
  const columns = lines[header]!.trim().split(/\s+/);
  return lines.slice(header + 1).map((line) => {
    const cells = line.trim().split(/\s+/);
    const cell = (name: string) => cells[columns.indexOf(name)] ?? '-';
    const target = cell('TARGET-ASSIGNMENT');
    return {
      memberId: cell('CONSUMER-ID'),
      host: cell('HOST').replace(/^\//, ''),
      clientId: cell('CLIENT-ID'),
      partitions: partitionsOf(cell('CURRENT-ASSIGNMENT'), topic),
      targetPartitions: cell('TARGET-EPOCH') === '-' ? null : partitionsOf(target, topic),
    };
  });
}

/** Committed offset and lag per partition, as `kafka-consumer-groups.sh --describe --offsets` prints them. */
export function describeOffsetsWithKafkaTool(group: string, topic: string): Map<number, { committed: number | null; end: number; lag: number | null }> {
  const out = execFileSync(
    'java',
    ['-Xmx256m', '-cp', kafkaClasspath(), 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', '--bootstrap-server', brokers(), '--describe', '--offsets', '--group', group],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const header = lines.findIndex((l) => l.startsWith('GROUP '));
  const columns = lines[header]!.trim().split(/\s+/);
  const rows = new Map<number, { committed: number | null; end: number; lag: number | null }>();
  for (const line of lines.slice(header + 1)) {
    const cells = line.trim().split(/\s+/);
    const cell = (name: string) => cells[columns.indexOf(name)]!;
    if (cell('TOPIC') !== topic) continue;
    const num = (s: string) => (s === '-' ? null : Number(s));
    rows.set(Number(cell('PARTITION')), { committed: num(cell('CURRENT-OFFSET')), end: Number(cell('LOG-END-OFFSET')), lag: num(cell('LAG')) });
  }
  return rows;
}

/**
 * Kafka's own console consumer (Java) in a group: a client that is not ours, as a participant's
 * program from an earlier workshop step would be. Its output is discarded.
 */
export function startConsoleConsumer(topic: string, group: string, clientId: string, protocol: 'classic' | 'consumer'): ChildProcess {
  return spawn(
    'java',
    [
      '-Xmx256m',
      '-cp',
      kafkaClasspath(),
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server',
      brokers(),
      '--topic',
      topic,
      '--group',
      group,
      '--consumer-property',
      `client.id=${clientId}`,
      '--consumer-property',
      `group.protocol=${protocol}`,
      '--consumer-property',
      'auto.offset.reset=earliest',
    ],
    { stdio: 'ignore' },
  );
}
