import os from 'node:os';
import type { Server } from 'node:http';
import { listen } from '../shared/http-server';
import { createLogger } from '../shared/logger';
import { describeKafkaError } from '../shared/kafka-errors';
import { onShutdownSignals } from '../shared/signals';
import { BrokerAdmin } from './broker-admin';
import { describeObserverConfig, loadObserverConfig } from './config';
import { observerHttpApp } from './http';
import { ObserverMetrics } from './metrics';
import { GroupPoller } from './poller';

/**
 * The group observer: asks the group coordinator every OBSERVER_INTERVAL_MS who is in each group
 * on the topic and what they own, and exports it. It sees every member whatever its client or
 * machine, because it asks Kafka, not the members.
 */
export async function runObserver(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadObserverConfig(env);
  const log = createLogger(config.logLevel, { program: 'observer' });
  const admin = new BrokerAdmin({ brokers: config.brokers, clientId: `observer-${os.hostname()}`, security: config.security, timeoutMs: config.timeoutMs });
  const poller = new GroupPoller(admin, { topic: config.topic, groups: config.groups, staleAfterMs: config.staleAfterMs });
  const metrics = new ObserverMetrics(poller, config.topic, admin.requests);
  const readyWithinMs = config.intervalMs * 3 + config.timeoutMs;
  const app = observerHttpApp(
    {
      topic: config.topic,
      status: poller.status,
      groups: () => poller.groups(),
      ready: () => poller.status.up && poller.status.lastSuccessAt !== null && Date.now() - poller.status.lastSuccessAt < readyWithinMs,
    },
    metrics.registry,
  );
  const server: Server = await listen(app, config.metricsPort);
  log.info({ config: describeObserverConfig(config), httpPort: config.metricsPort }, 'observer starting');

  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  let current: Promise<void> = Promise.resolve();
  const groupStates = new Map<string, string>();

  const pollOnce = async () => {
    const end = metrics.pollSeconds.startTimer();
    const wasUp = poller.status.up || poller.status.lastSuccessAt === null;
    try {
      const events = await poller.poll();
      metrics.polls.inc({ result: 'ok' });
      if (!wasUp) log.info('Kafka answers again; the view is current');
      for (const e of events) log.info({ group: e.group, member: e.member, memberId: e.memberId }, e.change === 'joined' ? 'member joined the group' : 'member left the group');
      for (const g of poller.groups()) {
        const key = `${g.group} ${g.protocol}`;
        if (groupStates.get(key) !== g.state) {
          groupStates.set(key, g.state);
          log.info({ group: g.group, state: g.state, protocol: g.protocol, assignor: g.assignor, members: g.members.length }, 'group state');
        }
      }
    } catch (err) {
      metrics.polls.inc({ result: 'error' });
      // One line when Kafka stops answering, not one per poll.
      if (poller.status.failuresInARow === 1) log.warn({ err: describeKafkaError(err), retryEveryMs: config.intervalMs }, 'cannot describe the groups; retrying, /readyz reports 503 meanwhile');
    } finally {
      end();
    }
  };
  const loop = () => {
    if (stopping) return;
    current = pollOnce().finally(() => {
      if (!stopping) timer = setTimeout(loop, config.intervalMs);
    });
  };
  loop();

  onShutdownSignals(log, 10_000, async (signal) => {
    stopping = true;
    if (timer) clearTimeout(timer);
    log.info({ signal }, 'stopping');
    await current;
    admin.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    log.info('observer stopped');
  });
}
