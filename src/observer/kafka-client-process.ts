import os from 'node:os';
import { describeKafkaError } from '../shared/kafka-errors';
import { BrokerAdmin } from './broker-admin';
import { loadObserverConfig } from './config';
import type { KafkaClientMessage, ObserverMessage } from './kafka-client-messages';
import { fetchClusterView } from './poller';

/**
 * The observer's Kafka client, in a process of its own: polls the brokers every
 * OBSERVER_INTERVAL_MS and sends each outcome to the observer. A native abort in librdkafka ends
 * this process only; the observer keeps serving its last view and starts another.
 */
export function runKafkaClient(env: NodeJS.ProcessEnv): void {
  const config = loadObserverConfig(env);
  const admin = new BrokerAdmin({ brokers: config.brokers, clientId: `observer-${os.hostname()}`, security: config.security, timeoutMs: config.timeoutMs });
  // Once the observer is gone there is nobody to tell; sending would only raise an error.
  const send = (m: KafkaClientMessage) => {
    if (process.connected) process.send!(m);
  };
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> = Promise.resolve();

  const pollOnce = async () => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const usage = () => {
      const cpu = process.cpuUsage();
      return { cpuSeconds: (cpu.user + cpu.system) / 1e6, residentBytes: process.memoryUsage.rss() };
    };
    try {
      const { groups: views, replicas } = await fetchClusterView(admin, config);
      send({ type: 'polled', views, replicas, durationSeconds: seconds(), requests: [...admin.requests], usage: usage() });
    } catch (err) {
      send({ type: 'poll-failed', error: describeKafkaError(err), durationSeconds: seconds(), requests: [...admin.requests], usage: usage() });
    }
  };
  const loop = () => {
    if (stopping) return;
    current = pollOnce().finally(() => {
      if (!stopping) timer = setTimeout(loop, config.intervalMs);
    });
  };
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (timer) clearTimeout(timer);
    await current;
    admin.close();
    if (process.connected) process.disconnect();
    // librdkafka's threads normally let the process end within a second of the close.
    setTimeout(() => process.exit(0), 5000).unref();
  };

  process.on('message', (m: ObserverMessage) => {
    if (m.type === 'stop') void stop();
  });
  // The observer is gone (killed, crashed): nobody reads the polls any more.
  process.on('disconnect', () => void stop());
  // Ctrl-C reaches the whole process group; the observer decides when this process stops.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  loop();
}

if (require.main === module) runKafkaClient(process.env);
