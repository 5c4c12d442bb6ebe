import os from 'node:os';
import { CODES } from '@confluentinc/kafka-javascript';
import { kafkaErrorInterpreter } from '../shared/kafka-error-description';
import { BrokerAdmin } from './broker-admin';
import { loadObserverConfig } from './config';
import type { KafkaClientMessage, ObserverMessage } from './kafka-client-messages';
import type { GroupView } from './group-view';
import { EndOffsetHistory } from './lag-time';
import { fetchClusterView, timestampsWanted, type LogEnds, type RecordStamp } from './poller';
import { RecordTimestamps } from './record-timestamps';

/**
 * The observer's Kafka client, in a process of its own: polls the brokers every
 * OBSERVER_INTERVAL_MS and sends each outcome to the observer. A native abort in librdkafka ends
 * this process only; the observer keeps serving its last view and starts another.
 */
/**
 * Polls in a row in which the brokers answered (metadata) but the group requests timed out. After
 * a kill of the group's coordinator in a three-broker cluster, librdkafka's admin handle kept
 * waiting on the dead coordinator (2 of 3 KIP-848 runs of `npm run brokers3`: stale for the whole
 * outage and after it); a fresh process starts with no such state.
 */
const STUCK_POLLS = 3;
/** The exit code for that restart (EX_TEMPFAIL); the observer counts it as exit_75. */
export const STUCK_EXIT_CODE = 75;
const TIMED_OUT = -185;
/**
 * Error names from this client's own library. Not src/shared/kafka-errors: it loads node-rdkafka,
 * whose librdkafka.so.1 the dynamic loader would then reuse for @confluentinc/kafka-javascript (same
 * soname), so this process ran on node-rdkafka's librdkafka 2.12.0, without our patch for the
 * coordinator abort (issue 17). test/unit/librdkafka-per-client.test.ts keeps it so.
 */
const { describeKafkaError } = kafkaErrorInterpreter(CODES.ERRORS as Record<string, number>);

export function runKafkaClient(env: NodeJS.ProcessEnv): void {
  const config = loadObserverConfig(env);
  const admin = new BrokerAdmin({ brokers: config.brokers, clientId: `observer-${os.hostname()}`, security: config.security, timeoutMs: config.timeoutMs });
  const timestamps = new RecordTimestamps({ brokers: config.brokers, clientId: `observer-${os.hostname()}`, security: config.security, timeoutMs: config.timeoutMs });
  // Both clients' requests, for lab_observer_kafka_requests_total.
  const requests = (): [string, number][] => {
    const all = new Map(admin.requests);
    for (const [api, n] of timestamps.requests) all.set(api, (all.get(api) ?? 0) + n);
    return [...all];
  };
  // Once the observer is gone there is nobody to tell; sending would only raise an error.
  const send = (m: KafkaClientMessage) => {
    if (process.connected) process.send!(m);
  };
  // Lag in seconds is the observer's; this copy of the end offsets' history only tells which
  // records the ends cannot date, in the same poll that reads them (a restart loses it: the next
  // burst is dated by the ends alone, as before).
  const history = new EndOffsetHistory();
  const read = new Set<string>();
  const stampsFor = async (views: GroupView[], ends: LogEnds): Promise<RecordStamp[]> => {
    for (const [p, end] of ends.end) history.record(p, ends.at, end);
    const wanted = timestampsWanted(views, history, (p, offset) => read.has(`${p}:${offset}`));
    if (wanted.length === 0) return [];
    try {
      const found = await timestamps.read(config.topic, wanted);
      if (read.size > 4096) read.clear();
      for (const f of found) read.add(`${f.partition}:${f.offset}`);
      return found;
    } catch {
      // Lag in seconds keeps its estimate from the end offsets; the next poll tries again.
      return [];
    }
  };
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> = Promise.resolve();
  let stuck = 0;

  const pollOnce = async () => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const usage = () => {
      const cpu = process.cpuUsage();
      return { cpuSeconds: (cpu.user + cpu.system) / 1e6, residentBytes: process.memoryUsage.rss() };
    };
    const startedAt = Date.now();
    try {
      const { groups: views, replicas, ends } = await fetchClusterView(admin, config);
      stuck = 0;
      const stamps = await stampsFor(views, ends);
      send({ type: 'polled', views, replicas, ends, stamps, durationSeconds: seconds(), requests: requests(), usage: usage() });
    } catch (err) {
      const error = describeKafkaError(err);
      // A whole cluster down times out too, but then no broker answers the metadata request.
      stuck = error.code === TIMED_OUT && admin.metadataAnsweredAt >= startedAt ? stuck + 1 : 0;
      send({ type: 'poll-failed', error, durationSeconds: seconds(), requests: requests(), usage: usage() });
      if (stuck >= STUCK_POLLS && !stopping) {
        stopping = true;
        setTimeout(() => process.exit(STUCK_EXIT_CODE), 100);
      }
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
    timestamps.close();
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
