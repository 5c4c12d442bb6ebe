import net from 'node:net';
import type { AssignmentStrategy, GroupProtocol } from '../consumer/config';
import { unreachableFromElsewhere } from '../loadgen/external-listener';

/**
 * The checks `join` runs before a participant's consumer joins, as plain functions over what Kafka
 * answered, so that each verdict and its advice can be tested without a broker. Every failed
 * check has its own exit code: a script (or the instructor reading over a shoulder) can tell
 * "nothing answers" from "Kafka sends you back to your own laptop".
 */
export const JOIN_EXIT = {
  usage: 2,
  bootstrapUnreachable: 10,
  notKafka: 11,
  loopbackAdvertised: 12,
  protocolRefused: 13,
} as const;

export interface Verdict {
  ok: boolean;
  /** What a participant reads: the finding, then (when it failed) what to do. */
  message: string;
  /** Set when the check failed. */
  exitCode?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

/** "host:port" or "[v6]:port" -> parts; null when it is not one. */
export function parseHostPort(text: string): HostPort | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text.trim()) ?? /^([^\s:[\]]+):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65_535 ? { host: m[1], port } : null;
}

const hostPortText = ({ host, port }: HostPort) => (net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);

/** Whether a TCP connection to `target` is accepted within `timeoutMs`; the socket error when not. */
export function tcpAnswers(target: HostPort, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const done = (result: { ok: true } | { ok: false; reason: string }) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, reason: err.code ?? err.message }));
  });
}

export function bootstrapVerdict(target: HostPort, answer: { ok: true } | { ok: false; reason: string }): Verdict {
  const where = hostPortText(target);
  if (answer.ok) return { ok: true, message: `${where} answers` };
  const advice = loopbackHost(target.host)
    ? `${target.host} is this machine (inside Docker: this container), not the instructor's: use the address the instructor gave you`
    : `check the address with the instructor (it is their LAN address, shown by ipconfig or ip addr), that this laptop is on the same Wi-Fi, and that their stack is up (docker compose ps) and their firewall lets port ${target.port} in`;
  return { ok: false, exitCode: JOIN_EXIT.bootstrapUnreachable, message: `nothing answers at ${where} (${answer.reason}): ${advice}` };
}

export function kafkaMetadataVerdict(target: HostPort, err: unknown): Verdict {
  const where = hostPortText(target);
  if (err === null) return { ok: true, message: `${where} answers as Kafka` };
  const reason = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
  return {
    ok: false,
    exitCode: JOIN_EXIT.notKafka,
    message: `${where} accepts connections but did not answer as Kafka (${reason}): the port is probably not Kafka's external listener; the lab's is 9094`,
  };
}

function loopbackHost(host: string): boolean {
  return unreachableFromElsewhere(host);
}

/**
 * A loopback address advertised to us is a dead end unless it is the very address we bootstrapped
 * through (a program on the instructor's own machine using 127.0.0.1:9094). From anywhere else the
 * client is told to connect to itself and retries forever: the room's most common failure.
 */
export function advertisedVerdict(bootstrap: HostPort, advertised: HostPort[]): Verdict {
  const list = advertised.map(hostPortText).join(', ');
  const dead = advertised.filter((b) => loopbackHost(b.host) && !(b.host === bootstrap.host && b.port === bootstrap.port));
  if (advertised.length === 0) return { ok: false, exitCode: JOIN_EXIT.notKafka, message: `${hostPortText(bootstrap)} answered with no brokers in its metadata` };
  if (dead.length === 0) return { ok: true, message: `Kafka tells clients to use ${list}` };
  return {
    ok: false,
    exitCode: JOIN_EXIT.loopbackAdvertised,
    message:
      `Kafka answered at ${hostPortText(bootstrap)} but tells clients to use ${dead.map(hostPortText).join(', ')}, a loopback address: ` +
      'your client would connect to your own laptop and retry forever. The instructor must set KAFKA_EXTERNAL_HOST in .env ' +
      `to their LAN address (${bootstrap.host} if that is the one you used), then run docker compose up -d`,
  };
}

/** What `join` learnt about the group from the coordinator; null when the group does not exist. */
export interface GroupFacts {
  /** classic or consumer (KIP-848). */
  protocol: GroupProtocol | 'unknown';
  /** The classic group's protocol type ("consumer" for consumer groups); "" when not classic. */
  protocolType: string;
  /** The classic group's chosen assignor, or the broker's assignor of a KIP-848 group. */
  assignor: string;
  state: string;
  members: number;
}

/** How this participant's consumer would join. */
export interface OurProtocol {
  /** LAB_PROTOCOL's value (eager, cooperative, static, kip848). */
  lab: string;
  groupProtocol: GroupProtocol;
  assignmentStrategy: AssignmentStrategy | null;
}

/** The LAB_PROTOCOL a classic group's assignor belongs to, for the advice line. */
function labProtocolFor(assignor: string): string {
  if (assignor === 'cooperative-sticky') return 'cooperative';
  if (assignor === 'range' || assignor === 'roundrobin') return 'eager';
  return '';
}

/**
 * Whether the group accepts a member joining as `ours`, as Kafka 4 decides it (checked against a
 * real broker, test/integration/join.test.ts): a classic group with members accepts only a
 * classic member that offers the group's assignor (else "Inconsistent group protocol"); a KIP-848
 * group accepts classic members too (the broker assigns them; their assignor is not used); a
 * KIP-848 member converts a classic group (group.consumer.migration.policy, bidirectional by
 * default). A group without members accepts anyone: the first member sets its protocol.
 */
export function groupVerdict(group: string, facts: GroupFacts | null, ours: OurProtocol): Verdict {
  const us = ours.groupProtocol === 'consumer' ? `LAB_PROTOCOL=${ours.lab} (KIP-848: the broker assigns)` : `LAB_PROTOCOL=${ours.lab} (classic, ${ours.assignmentStrategy})`;
  if (facts === null || facts.members === 0) {
    return { ok: true, message: `group ${group} has no members yet: it takes the protocol of its first member, so ${us} is accepted` };
  }
  const theirs = facts.protocol === 'consumer' ? `KIP-848, assignor ${facts.assignor} on the broker` : `classic, assignor ${facts.assignor || '(none yet)'}`;
  const about = `group ${group} (${facts.members} member${facts.members === 1 ? '' : 's'}, ${theirs})`;
  if (facts.protocol === 'classic' && facts.protocolType !== '' && facts.protocolType !== 'consumer') {
    return { ok: false, exitCode: JOIN_EXIT.protocolRefused, message: `${about} is not a consumer group (protocol type ${facts.protocolType}): pick another group with --group` };
  }
  if (facts.protocol === 'consumer') {
    if (ours.groupProtocol === 'consumer') return { ok: true, message: `${about} accepts ${us}` };
    return {
      ok: true,
      message: `${about} accepts ${us} as a classic member: the broker assigns its partitions and its assignor is not used (LAB_PROTOCOL=kip848 joins as the others do)`,
    };
  }
  if (ours.groupProtocol === 'consumer') {
    return { ok: true, message: `${about} accepts ${us}: Kafka converts the group to KIP-848 as you join (group.consumer.migration.policy)` };
  }
  if (facts.assignor === '') {
    return { ok: true, message: `${about} is rebalancing and has not chosen its assignor yet, so whether it accepts ${us} cannot be told now; joining will tell` };
  }
  if (facts.assignor === ours.assignmentStrategy) return { ok: true, message: `${about} accepts ${us}` };
  const fit = labProtocolFor(facts.assignor);
  return {
    ok: false,
    exitCode: JOIN_EXIT.protocolRefused,
    message:
      `${about} refuses ${us}: Kafka would answer "Inconsistent group protocol", because a classic group's members must all offer its assignor. ` +
      (fit ? `Join with --protocol ${fit} (or --protocol kip848, which Kafka accepts into any group)` : `Ask the instructor which protocol the lab uses`),
  };
}

/**
 * A classic group with members describes no assignor while it rebalances (a member joined, left or
 * restarted): the assignor is chosen when the rebalance ends.
 */
export function rebalancing(facts: GroupFacts | null): boolean {
  return facts !== null && facts.protocol === 'classic' && facts.members > 0 && facts.assignor === '';
}

/**
 * The group as `describe` gives it, asked again every `everyMs` while it is rebalancing, for up to
 * `withinMs`: a check made mid-rebalance cannot tell an eager client from a cooperative one, and
 * a participant who joins as the instructor restarts the stack would otherwise be let in and
 * refused a moment later. What it last saw if the rebalance outlasts that.
 */
export async function describeSettled(
  describe: () => Promise<GroupFacts | null>,
  { withinMs, everyMs }: { withinMs: number; everyMs: number },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => number = Date.now,
): Promise<GroupFacts | null> {
  const deadline = now() + withinMs;
  let facts = await describe();
  while (rebalancing(facts) && now() + everyMs <= deadline) {
    await sleep(everyMs);
    facts = await describe();
  }
  return facts;
}
