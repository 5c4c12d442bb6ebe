import Kafka, { type Producer } from 'node-rdkafka';
import os from 'node:os';
import type { Server } from 'node:http';
import { listen } from '../shared/http-server';
import { createLogger } from '../shared/logger';
import { describeKafkaError } from '../shared/kafka-errors';
import { securitySettings } from '../shared/kafka-security';
import { retryUntilDone } from '../shared/retry';
import { onShutdownSignals } from '../shared/signals';
import { describeLoadgenConfig, loadLoadgenConfig } from './config';
import { Generator } from './generator';
import { loadgenHttpApp } from './http';
import { LoadgenMetrics } from './metrics';
import { checkExternalListener } from './external-listener';
import { TopicAdmin } from './topic-admin';

const MAX_BACKOFF_MS = 10_000;
// How long a stop waits for queued messages to be delivered.
const FLUSH_TIMEOUT_MS = 5_000;

export async function runLoadgen(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadLoadgenConfig(env);
  const clientId = `loadgen-${os.hostname()}`;
  const log = createLogger(config.logLevel, { program: 'loadgen' });
  const metrics = new LoadgenMetrics(config.topic);

  // A new client after each failed connect: node-rdkafka registers its native callbacks (delivery
  // reports among them) on every connect() and removes them only in disconnect(), which a client
  // that never connected refuses; reusing it, every delivery would be reported, and counted, once
  // more per failed attempt (seen on Docker Swarm, where nothing holds the load generator back
  // until Kafka is healthy).
  const newProducer = (): Producer => {
    const p = new Kafka.Producer({
      'bootstrap.servers': config.brokers,
      'client.id': clientId,
      // Idempotence keeps per-partition order and prevents duplicates from producer retries, so any
      // redelivery a consumer counts comes from the consumer side.
      'enable.idempotence': true,
      'linger.ms': 5,
      dr_cb: true,
      ...securitySettings(config.security),
    });
    p.on('event.error', (err) => log.error({ err: describeKafkaError(err) }, 'kafka client error'));
    return p;
  };
  let producer = newProducer();
  let admin = new TopicAdmin(config, clientId, producer);
  let generator: Generator | null = null;

  const app = loadgenHttpApp(
    {
      ready: () => generator !== null && producer.isConnected(),
      rate: () => generator?.rate ?? config.rate,
      setRate: (rate) => {
        const before = generator?.rate ?? config.rate;
        generator?.setRate(rate);
        log.info({ from: before, to: rate }, 'rate changed');
      },
      maxRate: () => config.maxRate,
      partitions: () => generator?.partitionCount ?? 0,
      addPartitions: async (total) => {
        if (!generator) throw new Error('not connected to Kafka yet');
        const before = generator.partitionCount;
        await admin.addPartitions(total);
        generator.setPartitionCount(total);
        log.info({ topic: config.topic, from: before, to: total }, 'partitions added; consumers rebalance at their next metadata refresh');
      },
      produced: () => generator?.produced() ?? 0,
    },
    metrics.registry,
  );
  const server: Server = await listen(app, config.metricsPort);
  log.info({ config: describeLoadgenConfig(config), httpPort: config.metricsPort }, 'load generator starting');

  let stopping = false;
  onShutdownSignals(log, 10_000, async (signal) => {
    stopping = true;
    log.info({ signal }, 'stopping: flushing queued messages');
    await generator?.stop(FLUSH_TIMEOUT_MS);
    admin.close();
    // The flush above had its time: node-rdkafka's disconnect would flush for 5 s more by default,
    // past the stop deadline when Kafka does not answer (a network gone silent).
    await new Promise<void>((resolve) => producer.disconnect(0, () => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const unacknowledged = generator?.unacknowledged() ?? 0;
    const summary = { produced: generator?.produced() ?? 0, unacknowledged };
    if (unacknowledged > 0) log.warn(summary, 'load generator stopped; messages Kafka had not acknowledged were given up (the last of a run: no consumer counts them as a gap)');
    else log.info(summary, 'load generator stopped');
  });

  await retryUntilDone(
    async () => {
      await new Promise<void>((resolve, reject) => producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
      const outcome = await admin.ensureTopic();
      if (outcome.kind === 'exists-with-fewer') {
        log.warn(
          { topic: config.topic, partitions: outcome.partitions, TOPIC_PARTITIONS: outcome.wanted },
          `topic ${config.topic} already exists with ${outcome.partitions} partitions, fewer than TOPIC_PARTITIONS=${outcome.wanted}; ` +
            `producing to ${outcome.partitions}. To grow it: curl -X PUT localhost:${config.metricsPort}/partitions -d ${outcome.wanted}`,
        );
      } else {
        log.info({ topic: config.topic, partitions: outcome.partitions, created: outcome.kind === 'created' }, 'topic ready');
      }
      producer.setPollInterval(100);
      generator = new Generator(producer, config.topic, outcome.partitions, config.rate, metrics, log);
      generator.start();
      log.info({ rate: config.rate, run: generator.run }, 'producing');
      // Once, when Kafka answers: what the room's laptops will be told, checked before they try.
      if (config.externalListener) void checkExternalListener(config.externalListener, config.security, log);
    },
    {
      maxBackoffMs: MAX_BACKOFF_MS,
      keepGoing: () => !stopping,
      failed: (err, attempt, retryInMs) => {
        log.warn({ attempt, retryInMs, err: describeKafkaError(err) }, 'cannot reach Kafka or create the topic; retrying');
        if (!producer.isConnected()) {
          admin.close();
          producer = newProducer();
          admin = new TopicAdmin(config, clientId, producer);
        }
      },
    },
  );
}
