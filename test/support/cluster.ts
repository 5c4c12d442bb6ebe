import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import Kafka from 'node-rdkafka';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canConnect, freePort } from './broker';
import { waitFor } from './wait';

/**
 * A real three-node Apache Kafka cluster (KRaft, each node broker and controller, one quorum of
 * three) from the Maven Central jars, on loopback. Settings are a production team's durability
 * ones (replication factor 3, min.insync.replicas=2) with a test's group timings. Each node can be
 * killed (SIGKILL), shut down in a controlled way (SIGTERM) and started again with its data.
 */
export interface KafkaNode {
  id: number;
  /** host:port clients use. */
  address: string;
  logFile: string;
  running(): boolean;
  /** SIGKILL: no controlled shutdown, leadership moves only once the controller notices. */
  kill(): Promise<void>;
  /** SIGTERM: a controlled shutdown, leadership handed over before the node leaves. */
  shutDown(): Promise<void>;
  /** Starts the node again on the same ports with the same data. */
  start(): Promise<void>;
}

export interface KafkaCluster {
  bootstrap: string;
  nodes: KafkaNode[];
  node(id: number): KafkaNode;
  /** Kills every node for good and removes the data (kept when `keepData`, for a failed run). */
  stop(keepData?: boolean): Promise<void>;
  dir: string;
}

const ROOT = path.resolve(__dirname, '../../..');

const LOG4J = ['rootLogger.level=WARN', 'rootLogger.appenderRef.out.ref=OUT', 'appender.out.type=Console', 'appender.out.name=OUT', 'appender.out.layout.type=PatternLayout', 'appender.out.layout.pattern=[%d] %p %m (%c)%n'];

/**
 * The ports are chosen free, then released until the nodes bind them, seconds later: on a machine
 * shared with other test runs one can be taken meanwhile. Such a start is retried with new ports.
 */
export async function startCluster(options: { size?: number; heapMb?: number } = {}): Promise<KafkaCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(options);
    } catch (err) {
      if (attempt >= 3) throw err;
      process.stderr.write(`cluster start failed (${(err as Error).message}); retrying with other ports\n`);
    }
  }
}

async function startClusterOnce({ size = 3, heapMb = 384 }: { size?: number; heapMb?: number }): Promise<KafkaCluster> {
  const libs = execFileSync(path.join(ROOT, 'scripts/kafka-jars.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cgl-kafka3-'));
  writeFileSync(path.join(dir, 'log4j2.properties'), LOG4J.join('\n') + '\n');
  // Three nodes on two cores: a small heap each, and the JIT's tiered start to come up quickly.
  const java = [`-Xms${heapMb}m`, `-Xmx${heapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`, '-cp', `${libs}/*`];
  const ids = Array.from({ length: size }, (_, k) => k + 1);
  const ports = new Map<number, { client: number; controller: number }>();
  for (const id of ids) ports.set(id, { client: await freePort(), controller: await freePort() });
  const voters = ids.map((id) => `${id}@127.0.0.1:${ports.get(id)!.controller}`).join(',');
  const replication = Math.min(3, size);
  const minIsr = Math.max(1, replication - 1);
  const clusterId = execFileSync('java', [...java, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim().split('\n').pop()!.trim();

  const nodes = ids.map((id): KafkaNode => {
    const { client, controller } = ports.get(id)!;
    const home = path.join(dir, `node-${id}`);
    const propsFile = path.join(dir, `node-${id}.properties`);
    const logFile = path.join(dir, `node-${id}.log`);
    writeFileSync(
      propsFile,
      [
        'process.roles=broker,controller',
        `node.id=${id}`,
        `controller.quorum.voters=${voters}`,
        `listeners=PLAINTEXT://127.0.0.1:${client},CONTROLLER://127.0.0.1:${controller}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${client}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
        `log.dirs=${home}`,
        `default.replication.factor=${replication}`,
        `min.insync.replicas=${minIsr}`,
        `offsets.topic.replication.factor=${replication}`,
        'offsets.topic.num.partitions=6',
        `transaction.state.log.replication.factor=${replication}`,
        `transaction.state.log.min.isr=${minIsr}`,
        `share.coordinator.state.topic.replication.factor=${replication}`,
        `share.coordinator.state.topic.min.isr=${minIsr}`,
        'group.initial.rebalance.delay.ms=0',
        'group.min.session.timeout.ms=1000',
        'group.consumer.min.session.timeout.ms=1000',
        'group.consumer.session.timeout.ms=6000',
        'group.consumer.min.heartbeat.interval.ms=500',
        'group.consumer.heartbeat.interval.ms=1000',
        // A node killed outright is noticed when its controller heartbeats stop: 3 s, not 9.
        'broker.session.timeout.ms=3000',
        'broker.heartbeat.interval.ms=500',
        'auto.create.topics.enable=false',
        'num.network.threads=2',
        'num.io.threads=2',
        'num.replica.fetchers=1',
        'background.threads=2',
      ].join('\n') + '\n',
    );
    execFileSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile], { stdio: 'ignore' });
    let proc: ChildProcess | null = null;
    let exited = true;
    const stopWith = async (signal: NodeJS.Signals) => {
      const child = proc;
      if (!child || exited) return;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await new Promise((r) => (exited ? r(null) : child.once('exit', r)));
      clearTimeout(killer);
      await waitFor(async () => !(await canConnect(client)), { timeoutMs: 10_000, what: `node ${id} to stop listening` });
    };
    return {
      id,
      address: `127.0.0.1:${client}`,
      logFile,
      running: () => !exited,
      kill: () => stopWith('SIGKILL'),
      shutDown: () => stopWith('SIGTERM'),
      async start() {
        if (!exited) return;
        const out = openSync(logFile, 'a');
        const child = spawn('java', [...java, 'kafka.Kafka', propsFile], { stdio: ['ignore', out, out] });
        closeSync(out);
        proc = child;
        exited = false;
        child.once('exit', () => {
          if (proc === child) exited = true;
        });
        await waitFor(async () => exited || (await canConnect(client)), { timeoutMs: 90_000, what: `Kafka node ${id} to listen` });
        if (exited) throw new Error(`Kafka node ${id} exited at start; see ${logFile}`);
      },
    };
  });
  // Together: a quorum of three needs two voters before any node finishes starting.
  const started = await Promise.allSettled(nodes.map((n) => n.start()));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => n.kill()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return {
    bootstrap: nodes.map((n) => n.address).join(','),
    nodes,
    dir,
    node: (id) => {
      const n = nodes.find((x) => x.id === id);
      if (!n) throw new Error(`no node ${id} in the cluster`);
      return n;
    },
    async stop(keepData = false) {
      // The data goes with the nodes: no controlled shutdown to wait for.
      await Promise.all(nodes.map((n) => n.kill()));
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PartitionReplicas {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Every partition of every topic (internal ones included) as the cluster's metadata gives it. */
export async function clusterPartitions(bootstrap: string): Promise<PartitionReplicas[]> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap });
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const md = await new Promise<Kafka.Metadata>((resolve, reject) => producer.getMetadata({ timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
    return md.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.id, leader: p.leader, replicas: p.replicas, isr: p.isrs })));
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}
