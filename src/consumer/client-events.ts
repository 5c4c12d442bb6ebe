import Kafka, { type LibrdKafkaError } from 'node-rdkafka';
import type { Logger } from 'pino';
import { groupInstanceId } from './rdkafka-config';
import { StrandedWatch } from './stranded-watch';
import { parseStats, type StatsSnapshot } from './stats';
import { describeKafkaError } from '../shared/kafka-errors';

const { ERR__ALL_BROKERS_DOWN } = Kafka.CODES.ERRORS;

/** Who the client is, for the lines a reader acts on. */
export interface ClientIdentity {
  topic: string;
  groupId: string;
  clientId: string;
  staticMembership: boolean;
}

/** What the member does with what librdkafka said. */
export interface ClientEventHooks {
  /** Whether the member is consuming: being left without brokers is judged only then. */
  running(): boolean;
  owned(): number[];
  statsRead(stats: StatsSnapshot): void;
  memberIdChanged(id: string | null): void;
  /** librdkafka's LOST debug line: node-rdkafka has no rd_kafka_assignment_lost(). */
  lost(message: string): void;
  /** The client can no longer be used; called once, after the fatal line is logged. */
  fatal(err: unknown): void;
}

/**
 * Everything librdkafka tells a consumer besides messages and rebalances (statistics, errors and
 * the debug lines node-rdkafka has no API for), read into plain state: whether a broker is
 * reachable, the member id, whether librdkafka left us with no broker at all, and why a fatal
 * error happened. Outlives each client: GroupMember wires every new client's events here.
 */
export class ClientEvents {
  private snapshot: StatsSnapshot | null = null;
  /** Set when librdkafka reports every broker down, cleared when statistics show one up. */
  private brokersDown = false;
  private lastErrorCode: number | null = null;
  private readonly stranded = new StrandedWatch();
  private strandedReported = false;
  private member: string | null = null;
  private fatalSeen = false;
  private fatalReason: string | null = null;

  constructor(
    private readonly who: ClientIdentity,
    private readonly log: Logger,
    private readonly hooks: ClientEventHooks,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last statistics that could be read. */
  stats(): StatsSnapshot | null {
    return this.snapshot;
  }

  /** The member id the group coordinator gave us, once known. */
  memberId(): string | null {
    return this.member;
  }

  brokerReachable(): boolean {
    return !this.brokersDown && (this.snapshot?.brokersUp ?? true);
  }

  /**
   * Left with no broker by librdkafka (StrandedWatch) and not recovered: the process can no longer
   * consume, so its liveness probe fails and an orchestrator restarts it.
   */
  isStranded(): boolean {
    return this.strandedReported;
  }

  onStats(json: string): void {
    let stats: StatsSnapshot;
    try {
      stats = parseStats(json, this.who.topic);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'unreadable librdkafka statistics');
      return;
    }
    this.snapshot = stats;
    if (stats.brokersUp) this.brokersDown = false;
    this.checkStranded(stats);
    this.hooks.statsRead(stats);
  }

  onLog(line: { fac: string; message: string }): void {
    // The cgrp debug lines librdkafka sends anyway: at trace level they are what explains a
    // member that did not rejoin (it is how issue #5301 was found here).
    this.log.trace({ fac: line.fac, librdkafka: line.message }, 'librdkafka debug');
    // node-rdkafka reports fatal errors only as "Local: Fatal error"; the log says which.
    if (line.fac === 'FATAL') this.fatalReason = line.message.replace(/^\[thrd:[^\]]*\]: /, '');
    if (line.fac === 'LOST') this.hooks.lost(line.message);
    if (line.fac !== 'MEMBERID') return;
    const id = memberIdFromLog(line.message);
    if (id === undefined || id === this.member) return;
    this.member = id;
    this.hooks.memberIdChanged(id);
    this.log.debug({ memberId: id }, 'member id changed');
  }

  onError(err: LibrdKafkaError): void {
    if (err.code === ERR__ALL_BROKERS_DOWN) this.brokersDown = true;
    // librdkafka repeats the same error at each retry; one line per change is enough.
    if (err.code === this.lastErrorCode) return;
    this.lastErrorCode = err.code;
    if (isFatal(err)) {
      this.fatal(err);
      return;
    }
    this.log.error({ err: describeKafkaError(err) }, 'kafka client error');
  }

  /**
   * librdkafka's fatal errors leave the client unusable. For a consumer that is, in practice, a
   * static member fenced by another one with the same group.instance.id; node-rdkafka reports
   * only "Local: Fatal error", not the underlying code. Say it once and stop.
   */
  fatal(err: unknown): void {
    if (this.fatalSeen) return;
    this.fatalSeen = true;
    // The log line naming the cause is emitted just before the error surfaces; give it a moment.
    setTimeout(() => {
      const reason = this.fatalReason ?? '';
      this.log.fatal(
        { err: describeKafkaError(err), librdkafka: reason || undefined, groupInstanceId: this.who.staticMembership ? groupInstanceId(this.who.clientId) : undefined },
        `fatal Kafka error: ${fatalAdvice(reason, this.who)}. Stopping.`,
      );
      this.hooks.fatal(err);
    }, 100);
  }

  /** See StrandedWatch: say once that librdkafka left us with no broker, so that someone restarts us. */
  private checkStranded(stats: StatsSnapshot): void {
    if (!this.hooks.running()) return;
    const now = this.now();
    const verdict = this.stranded.observe(stats.brokerHandles, now);
    if (verdict === 'recovered') {
      this.strandedReported = false;
      this.log.info('librdkafka has brokers to connect to again');
    }
    if (verdict !== 'stranded') return;
    this.strandedReported = true;
    this.log.error(
      { seconds: Math.round(this.stranded.for(now) / 1000), owned: this.hooks.owned(), librdkafkaIssue: 'https://github.com/confluentinc/librdkafka/issues/5301' },
      'librdkafka has dropped every broker, bootstrap servers included, and will not reconnect (a Metadata response listed no broker, e.g. during a broker restart); restart this consumer (/healthz now fails)',
    );
  }
}

function isFatal(err: LibrdKafkaError): boolean {
  return err.code === Kafka.CODES.ERRORS.ERR__FATAL || (err as { isFatal?: boolean }).isFatal === true;
}

/** What to do about a fatal error, from librdkafka's own words for its cause. */
export function fatalAdvice(reason: string, who: ClientIdentity): string {
  const id = `group.instance.id "${groupInstanceId(who.clientId)}"`;
  if (/still used by another member/i.test(reason)) {
    return (
      `the broker still holds a member with ${id} in group ${who.groupId}: either another replica uses the same name, ` +
      'or this replica restarted before the broker released its previous session (KIP-848 refuses the rejoin until the ' +
      'session timeout, group.consumer.session.timeout.ms, expires; restart after it). Give every replica its own CONSUMER_NAME'
    );
  }
  if (/fenced|instance/i.test(reason) || who.staticMembership) {
    return (
      `another consumer joined group ${who.groupId} with the same ${id} and fenced this one; ` +
      'give every replica its own CONSUMER_NAME (or leave it unset in compose), or set STATIC_MEMBERSHIP=off'
    );
  }
  return 'the client cannot continue';
}

/** `Group "g": updating member id "old" -> "new"` gives "new"; an empty id means none. */
export function memberIdFromLog(message: string): string | null | undefined {
  const m = /updating member id "[^"]*" -> "([^"]*)"/.exec(message);
  if (!m) return undefined;
  return m[1] === '' || m[1] === '(not-set)' ? null : m[1];
}
