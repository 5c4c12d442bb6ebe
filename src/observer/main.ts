import type { Server } from 'node:http';
import { listen } from '../shared/http-server';
import { createLogger } from '../shared/logger';
import { onShutdownSignals } from '../shared/signals';
import { describeObserverConfig, loadObserverConfig } from './config';
import { observerHttpApp } from './http';
import type { KafkaClientMessage } from './kafka-client-messages';
import { KafkaClientSupervisor } from './kafka-client-supervisor';
import { ObserverMetrics } from './metrics';
import { GroupViews } from './poller';

/**
 * The group observer: asks the group coordinator every OBSERVER_INTERVAL_MS who is in each group
 * on the topic and what they own, and exports it. It sees every member whatever its client or
 * machine, because it asks Kafka, not the members.
 *
 * The Kafka client runs in a child process (kafka-client-process), restarted whenever it dies:
 * a native abort in librdkafka costs seconds of view, not the view. This process holds the last
 * view and serves it, marked stale, meanwhile.
 */
export async function runObserver(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadObserverConfig(env);
  const log = createLogger(config.logLevel, { program: 'observer' });
  const views = new GroupViews({ staleAfterMs: config.staleAfterMs });
  // Per-process counts from librdkafka's statistics; those of ended processes are kept in `ended`.
  const requests = new Map<string, number>();
  const ended = new Map<string, number>();
  let latest = new Map<string, number>();
  // The same for the client processes' CPU; their memory is the current one's.
  const usage = { cpuSeconds: 0, residentBytes: 0 };
  let endedCpuSeconds = 0;
  let latestCpuSeconds = 0;
  const groupStates = new Map<string, string>();

  const onMessage = (m: KafkaClientMessage) => {
    latest = new Map(m.requests);
    for (const [api, n] of latest) requests.set(api, (ended.get(api) ?? 0) + n);
    latestCpuSeconds = m.usage.cpuSeconds;
    usage.cpuSeconds = endedCpuSeconds + latestCpuSeconds;
    usage.residentBytes = m.usage.residentBytes;
    metrics.pollSeconds.observe(m.durationSeconds);
    if (m.type === 'poll-failed') {
      metrics.polls.inc({ result: 'error' });
      views.failed(m.error);
      // One line when Kafka stops answering, not one per poll.
      if (views.status.failuresInARow === 1) log.warn({ err: m.error, retryEveryMs: config.intervalMs }, 'cannot describe the groups; retrying, /readyz reports 503 meanwhile');
      return;
    }
    metrics.polls.inc({ result: 'ok' });
    const { up, lastSuccessAt } = views.status;
    const events = views.succeeded(m.views, m.replicas, m.ends, m.stamps);
    if (!up && lastSuccessAt !== null) log.info({ staleSeconds: (Date.now() - lastSuccessAt) / 1000 }, 'Kafka answers again; the view is current');
    for (const e of events) log.info({ group: e.group, member: e.member, memberId: e.memberId }, e.change === 'joined' ? 'member joined the group' : 'member left the group');
    for (const e of views.lastEvents) {
      if (e.type === 'member-restarted') log.info({ group: e.group, member: e.member, memberId: e.memberId, previousMemberId: e.previousMemberId, instanceId: e.instanceId }, 'static member restarted');
      if (e.type === 'rebalance-started') log.info({ group: e.group, seq: e.seq }, 'rebalance started');
      if (e.type === 'rebalance-ended') {
        const moved = views.lastEvents.filter((m) => m.type === 'partition-moved' && m.group === e.group).map((m) => `${m.partition}: ${m.from ?? '-'} -> ${m.to ?? '-'}`);
        log.info({ group: e.group, seq: e.seq, durationMs: e.durationMs, moved }, 'rebalance ended');
      }
    }
    for (const g of views.groups()) {
      const key = `${g.group} ${g.protocol}`;
      if (groupStates.get(key) !== g.state) {
        groupStates.set(key, g.state);
        log.info({ group: g.group, state: g.state, protocol: g.protocol, assignor: g.assignor, members: g.members.length }, 'group state');
      }
    }
  };
  const kafkaClient = new KafkaClientSupervisor({
    env,
    onMessage: (m) => onMessage(m),
    onExit: (exit, restartInMs) => {
      for (const [api, n] of latest) ended.set(api, (ended.get(api) ?? 0) + n);
      latest = new Map();
      endedCpuSeconds += latestCpuSeconds;
      latestCpuSeconds = 0;
      usage.residentBytes = 0;
      const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
      views.failed(new Error(`the observer's Kafka client process ended (${how}); restarting it`));
      log.error(
        { code: exit.code, signal: exit.signal, restartInMs, restarts: kafkaClient.state.restarts },
        "the observer's Kafka client process ended; restarting it, /groups serves the last view marked stale meanwhile",
      );
    },
  });
  const metrics = new ObserverMetrics(views, config.topic, { requests, kafkaClient, kafkaClientUsage: usage });
  const readyWithinMs = config.intervalMs * 3 + config.timeoutMs;
  const app = observerHttpApp(
    {
      topic: config.topic,
      status: views.status,
      groups: () => views.groups(),
      events: (q) => views.timeline.list(q),
      ready: () => views.status.up && views.status.lastSuccessAt !== null && Date.now() - views.status.lastSuccessAt < readyWithinMs,
      kafkaClient: kafkaClient.state,
    },
    metrics.registry,
  );
  const server: Server = await listen(app, config.metricsPort);
  log.info({ config: describeObserverConfig(config), httpPort: config.metricsPort }, 'observer starting');
  kafkaClient.start();

  onShutdownSignals(log, 10_000, async (signal) => {
    log.info({ signal }, 'stopping');
    // Within the 10 s deadline: a poll in flight ends within OBSERVER_TIMEOUT_MS, the close soon after.
    await kafkaClient.stop(8000);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    log.info('observer stopped');
  });
}
