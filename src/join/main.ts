import Kafka from 'node-rdkafka';
import { loadConsumerConfig } from '../consumer/config';
import { GroupMember } from '../consumer/group-member';
import { ConsumerMetrics } from '../consumer/metrics';
import { MessageProcessor } from '../consumer/processor';
import { advertisedBrokers } from '../loadgen/external-listener';
import { describeKafkaError } from '../shared/kafka-errors';
import { createLogger } from '../shared/logger';
import { onShutdownSignals } from '../shared/signals';
import { JOIN_USAGE, UsageError, parseJoinArgs } from './args';
import {
  JOIN_EXIT,
  advertisedVerdict,
  bootstrapVerdict,
  describeSettled,
  groupVerdict,
  kafkaMetadataVerdict,
  parseHostPort,
  tcpAnswers,
  type GroupFacts,
  type Verdict,
} from './checks';
import { heartbeatLine, ownedLine, samePartitions } from './report';

const CHECK_TIMEOUT_MS = 8_000;
const WATCH_INTERVAL_MS = 500;
const DESCRIBE_ATTEMPTS = 3;
/** How long to wait for a classic group's rebalance to end before judging its protocol. */
const SETTLE_WITHIN_MS = 15_000;
const HEARTBEAT_SECONDS = 30;
const { ERR_INCONSISTENT_GROUP_PROTOCOL } = Kafka.CODES.ERRORS;

export interface JoinOutput {
  line(text: string): void;
}

const stdout: JoinOutput = { line: (text) => process.stdout.write(`${text}\n`) };

/**
 * A participant's one command: checks the instructor's Kafka from this laptop, in the order a
 * failure would show up (address, Kafka, advertised address, group protocol), says in plain words
 * what is wrong and what to set, then joins with our consumer and prints the partitions it owns.
 * Returns the exit code for a failed check; while joined it runs until Ctrl-C.
 */
export async function runJoin(args: string[], env: NodeJS.ProcessEnv, out: JoinOutput = stdout): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out.line(JOIN_USAGE);
    return 0;
  }
  let options;
  try {
    options = parseJoinArgs(args, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    out.line(`${err.message}\n${JOIN_USAGE}`);
    return JOIN_EXIT.usage;
  }
  const target = parseHostPort(options.bootstrap);
  if (!target) {
    out.line(`--bootstrap ${JSON.stringify(options.bootstrap)} is not accepted: expected HOST:PORT, e.g. 192.168.1.20:9094\n${JOIN_USAGE}`);
    return JOIN_EXIT.usage;
  }
  // The rest of the consumer's settings (security, timings) come from the environment as for any
  // replica; the command line sets what differs per participant.
  const config = loadConsumerConfig({
    ...env,
    KAFKA_BROKERS: options.bootstrap,
    KAFKA_TOPIC: options.topic,
    KAFKA_GROUP_ID: options.group,
    CONSUMER_NAME: options.name,
    LAB_PROTOCOL: options.protocol,
  });
  // In `docker run -it` node is PID 1, which the kernel spares from signals it has no handler for:
  // without these, Ctrl-C during a check that waits for an answer would do nothing.
  const interrupted = () => process.exit(130);
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  const report = (step: string, v: Verdict): boolean => {
    out.line(`${v.ok ? 'ok  ' : 'FAIL'} ${step}: ${v.message}`);
    return v.ok;
  };

  let v = bootstrapVerdict(target, await tcpAnswers(target, CHECK_TIMEOUT_MS));
  if (!report('address', v)) return v.exitCode!;

  let advertised: { host: string; port: number }[] = [];
  let metadataError: unknown = null;
  try {
    advertised = await advertisedBrokers(options.bootstrap, config.security, `join-check-${options.name}`, CHECK_TIMEOUT_MS);
  } catch (err) {
    metadataError = describeKafkaError(err);
  }
  v = kafkaMetadataVerdict(target, metadataError);
  if (!report('kafka', v)) return v.exitCode!;
  v = advertisedVerdict(target, advertised);
  if (!report('advertised address', v)) return v.exitCode!;

  const facts = await describeGroupIfPossible(options.bootstrap, options.group, config.security, out);
  if (facts !== undefined) {
    v = groupVerdict(options.group, facts, { lab: options.protocol, groupProtocol: config.groupProtocol, assignmentStrategy: config.assignmentStrategy });
    if (!report('group protocol', v)) return v.exitCode!;
  }
  if (options.checkOnly) {
    out.line('all checks passed (--check-only: not joining)');
    return 0;
  }
  process.off('SIGINT', interrupted);
  process.off('SIGTERM', interrupted);
  return join(config, options.name, options.topic, out, env);
}

/** undefined when the group cannot be described here (no admin client, or it failed): say so and go on. */
async function describeGroupIfPossible(bootstrap: string, group: string, security: ReturnType<typeof loadConsumerConfig>['security'], out: JoinOutput): Promise<GroupFacts | null | undefined> {
  try {
    require.resolve('@confluentinc/kafka-javascript');
  } catch {
    out.line('skip group protocol: this build has no admin client to describe the group (image target consumer); joining will tell');
    return undefined;
  }
  // Not a literal import: a build without the admin client (tsconfig.consumer.json) leaves it out.
  const module: string = './group-description';
  const { describeGroup } = (await import(module)) as { describeGroup(bootstrap: string, group: string, security: unknown, timeoutMs: number): Promise<GroupFacts | null> };
  // A broker's first group request creates __consumer_offsets and has no coordinator until that is
  // done (a fresh stack): the describe fails meanwhile, and a few tries get past it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await describeSettled(() => describeGroup(bootstrap, group, security, CHECK_TIMEOUT_MS), { withinMs: SETTLE_WITHIN_MS, everyMs: 500 });
    } catch (err) {
      if (attempt < DESCRIBE_ATTEMPTS) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      out.line(`skip group protocol: the coordinator did not describe group ${group} (${describeKafkaError(err).message || 'no reason given'}); joining will tell`);
      return undefined;
    }
  }
}

async function join(config: ReturnType<typeof loadConsumerConfig>, name: string, topic: string, out: JoinOutput, env: NodeJS.ProcessEnv): Promise<number> {
  // The consumer's own JSON log goes to stderr at warn and above: stdout is for the participant.
  const log = createLogger(env.LOG_LEVEL?.trim() || 'warn', { program: 'join', consumer: name }, process.stderr);
  const metrics = new ConsumerMetrics({ name, group: config.groupId, topic, clientId: name, groupProtocol: config.groupProtocol, assignmentStrategy: config.assignmentStrategy ?? 'broker' }, false);
  const processor = new MessageProcessor(metrics, log.child({ component: 'processor' }), config.processingMs);
  const member = new GroupMember(config, name, processor, metrics, log);
  out.line(`joining group ${config.groupId} on ${topic} as ${name} (Ctrl-C leaves the group)`);

  let shown: number[] | null = null;
  let lastCount = 0;
  let lastBeat = Date.now();
  const processed = async () => {
    const values = (await metrics.registry.getSingleMetric('lab_consumer_messages_processed_total')?.get())?.values ?? [];
    return values.reduce((sum, s) => sum + s.value, 0);
  };
  const watch = setInterval(() => {
    if (!member.assignment.joined) return;
    const now = member.assignment.partitions();
    if (shown === null || !samePartitions(shown, now)) {
      shown = now;
      out.line(ownedLine(new Date(), name, topic, now));
    }
    if (Date.now() - lastBeat >= HEARTBEAT_SECONDS * 1000) {
      lastBeat = Date.now();
      void processed().then((count) => {
        out.line(heartbeatLine(new Date(), now, count - lastCount, HEARTBEAT_SECONDS));
        lastCount = count;
      });
    }
  }, WATCH_INTERVAL_MS);

  const shutdown = onShutdownSignals(log, 10_000, async () => {
    clearInterval(watch);
    await member.stop();
    out.line(`${name} left group ${config.groupId}`);
  }, { nativeCallPending: () => member.closing() });
  member.onFatal = () => shutdown('fatal Kafka error', 3);
  // The group check could not see everything (a race with another member, or no admin client):
  // Kafka's own refusal ends the join with the same exit code and advice.
  member.onConsumeError = (err) => {
    if ((err as { code?: number }).code !== ERR_INCONSISTENT_GROUP_PROTOCOL) return;
    out.line(
      `FAIL group protocol: Kafka refused ${name} with "Inconsistent group protocol": group ${config.groupId}'s members use another ` +
        'assignor or protocol; try --protocol cooperative, --protocol eager or --protocol kip848 (the one the instructor set as LAB_PROTOCOL)',
    );
    shutdown('group protocol refused', JOIN_EXIT.protocolRefused);
  };
  await member.start();
  // Signals end the process; until then it stays in the group.
  return new Promise<number>(() => undefined);
}
