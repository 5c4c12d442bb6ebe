import type { Server } from 'node:http';
import { listen } from '../shared/http-server';
import { createLogger } from '../shared/logger';
import { describeConsumerConfig, loadConsumerConfig } from './config';
import { checkConsumeHandoff } from './consume-handoff';
import { GroupMember } from './group-member';
import { consumerHttpApp } from './http';
import { ConsumerMetrics } from './metrics';
import { MessageProcessor } from './processor';
import { resolveReplicaName } from './replica-name';
import { buildStatus } from './status';
import { onShutdownSignals } from '../shared/signals';

// A graceful stop must finish well inside compose's and Kubernetes' default grace periods.
const SHUTDOWN_DEADLINE_MS = 10_000;

export async function runConsumer(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConsumerConfig(env);
  const name = await resolveReplicaName(config.consumerName);
  const log = createLogger(config.logLevel, { program: 'consumer', consumer: name });
  const clientId = name;
  const metrics = new ConsumerMetrics({
    name,
    group: config.groupId,
    topic: config.topic,
    clientId,
    groupProtocol: config.groupProtocol,
    assignmentStrategy: config.assignmentStrategy ?? 'broker',
  }, config.partitionMetrics);
  const processor = new MessageProcessor(metrics, log.child({ component: 'processor' }), config.processingMs);
  const member = new GroupMember(config, clientId, processor, metrics, log);

  const app = consumerHttpApp(
    {
      alive: () => member.lifecycle.state !== 'stopped' && !member.isStranded(),
      ready: () => member.ready(),
      status: () =>
        buildStatus({
          name,
          clientId,
          memberId: member.memberId(),
          config,
          state: member.lifecycle.state,
          ready: member.ready(),
          inFlight: member.messageInFlight(),
          assignment: member.assignment,
          stats: member.lastStats(),
        }),
    },
    metrics.registry,
  );
  const server: Server = await listen(app, config.metricsPort);

  log.info({ config: describeConsumerConfig(config), httpPort: config.metricsPort }, 'consumer starting');
  const handoff = checkConsumeHandoff();
  metrics.consumeHandoff(handoff.handoff);
  if (handoff.problem) {
    log.warn({ consumeHandoff: handoff.handoff, problem: handoff.problem }, 'node-rdkafka is not patched: every batch is converted one message at a time in C++, about 3x slower (docs/patches.md; reinstall with npm ci)');
  } else {
    log.info({ consumeHandoff: handoff.handoff }, 'consume hand-off: columnar batches (our patched node-rdkafka)');
  }

  const shutdown = onShutdownSignals(log, SHUTDOWN_DEADLINE_MS, async (signal) => {
    log.info({ signal, owned: member.assignment.partitions() }, 'stopping: finishing the message in flight, committing, leaving the group');
    await member.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    log.info({ rebalances: member.assignment.rebalanceCounts() }, 'consumer stopped');
  }, { nativeCallPending: () => member.closing() });

  // Exit code 3: stopped because Kafka fenced this member for good (see docs/design.md, "Exit codes").
  member.onFatal = () => shutdown('fatal Kafka error', 3);
  await member.start();
}
