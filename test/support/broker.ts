import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync, writeFileSync, openSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './wait';

/**
 * A real Apache Kafka broker (KRaft, combined broker+controller, one node) run from the jars on
 * Maven Central with plain `java`. Settings are the ones a test needs: replication factor 1 for
 * internal topics, no initial rebalance delay, short minimum session timeouts, large messages.
 */
export interface Broker {
  /** What clients connect to (the advertised address). */
  bootstrap: string;
  /** Where the broker itself listens; differs from `bootstrap` behind a proxy. */
  listenAddress: string;
  logFile: string;
  /** Stops the broker for good and removes its data. */
  stop(): Promise<void>;
  /** Stops the broker process but keeps its data: an outage. `restart()` ends it. */
  halt(): Promise<void>;
  /** Starts the halted broker again on the same port with the same data. */
  restart(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * `advertisedPort`: the port clients are told to use instead of the broker's own, so that every
 * connection can go through a proxy there (see `openSilenceableProxy`). `advertisedHost`: the
 * address clients are told to use (default 127.0.0.1), e.g. a LAN address other machines would use.
 */
export async function startBroker({ advertisedPort, advertisedHost = '127.0.0.1', jmxPort }: { advertisedPort?: number; advertisedHost?: string; jmxPort?: number } = {}): Promise<Broker> {
  const libs = execFileSync(path.join(ROOT, 'scripts/kafka-jars.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cgl-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${advertisedHost}:${advertisedPort ?? port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    'group.consumer.min.session.timeout.ms=1000',
    'group.consumer.session.timeout.ms=6000',
    'group.consumer.min.heartbeat.interval.ms=500',
    'group.consumer.heartbeat.interval.ms=1000',
    'message.max.bytes=4194304',
    'auto.create.topics.enable=false',
  ];
  const propsFile = path.join(dir, 'server.properties');
  writeFileSync(propsFile, props.join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'log4j2.properties'),
    ['rootLogger.level=WARN', 'rootLogger.appenderRef.out.ref=OUT', 'appender.out.type=Console', 'appender.out.name=OUT', 'appender.out.layout.type=PatternLayout', 'appender.out.layout.pattern=[%d] %p %m (%c)%n'].join('\n') + '\n',
  );
  const cp = `${libs}/*`;
  const java = ['-Xms256m', '-Xmx768m', `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`, '-cp', cp];
  // `jmxPort`: the broker's own metrics (e.g. the group coordinator's) for Kafka's JmxTool, on
  // loopback only; the RMI port is pinned to the same port so that one port is all a reader needs.
  const jmx = jmxPort === undefined ? [] : [
    '-Dcom.sun.management.jmxremote',
    `-Dcom.sun.management.jmxremote.port=${jmxPort}`,
    `-Dcom.sun.management.jmxremote.rmi.port=${jmxPort}`,
    '-Dcom.sun.management.jmxremote.authenticate=false',
    '-Dcom.sun.management.jmxremote.ssl=false',
    '-Dcom.sun.management.jmxremote.host=127.0.0.1',
    '-Djava.rmi.server.hostname=127.0.0.1',
  ];
  const clusterId = execFileSync('java', [...java, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim().split('\n').pop()!.trim();
  execFileSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile], { stdio: 'ignore' });
  const logFile = path.join(dir, 'broker.log');
  let proc: ChildProcess | null = null;
  let exited = true;
  const launch = async () => {
    const out = openSync(logFile, 'a');
    const child = spawn('java', [...jmx, ...java, 'kafka.Kafka', propsFile], { stdio: ['ignore', out, out] });
    closeSync(out);
    proc = child;
    exited = false;
    child.once('exit', () => {
      if (proc === child) exited = true;
    });
    await waitFor(async () => exited || (await canConnect(port)), { timeoutMs: 60_000, what: 'the Kafka broker to listen' });
    if (exited) throw new Error(`Kafka broker exited at start; see ${logFile}`);
  };
  const halt = async () => {
    const child = proc;
    if (!child || exited) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await new Promise((r) => (exited ? r(null) : child.once('exit', r)));
    clearTimeout(killer);
    // The port is free again once nothing listens on it; a restart binds it anew.
    await waitFor(async () => !(await canConnect(port)), { timeoutMs: 10_000, what: 'the halted broker to stop listening' });
  };
  await launch();

  return {
    bootstrap: `${advertisedHost}:${advertisedPort ?? port}`,
    listenAddress: `127.0.0.1:${port}`,
    logFile,
    halt,
    async restart() {
      if (!exited) return;
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// `node dist/test/support/broker.js` runs a broker until Ctrl-C, for trying the programs by hand.
if (require.main === module) {
  startBroker().then((b) => {
    process.stdout.write(`Kafka is up: KAFKA_BROKERS=${b.bootstrap} (log: ${b.logFile}); Ctrl-C stops it\n`);
    const stop = () => void b.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, (err) => {
    process.stderr.write(`${err}\n`);
    process.exit(1);
  });
}

/**
 * A TCP forwarder from 127.0.0.1:`port` to `target` ("host:port[,...]"), opened when called: until
 * then the port refuses connections, as a broker that is not up yet does (Docker Swarm starts the
 * programs with no order). Kafka advertises its own address, so only the bootstrap goes through.
 */
export function openForwarder(port: number, target: string): Promise<SilenceableProxy> {
  return openSilenceableProxy(port, target.split(',')[0]);
}

/**
 * A TCP proxy from 127.0.0.1:`port` to `target` that can go silent, as a network does when a
 * laptop leaves the Wi-Fi or a firewall starts dropping packets: connections stay open, nothing
 * arrives, no reset tells either side. `silence()` stops carrying bytes on every connection, old
 * and new; `silenceAtRequest(apiKey)` does so the moment a client sends a Kafka request of that
 * kind (which is not delivered), to cut the network at an exact point of a protocol exchange;
 * `restore()` carries bytes again on new connections.
 */
export interface SilenceableProxy {
  silence(): void;
  silenceAtRequest(apiKey: number): void;
  restore(): void;
  close(): Promise<void>;
}

/** Kafka API keys used by the tests. */
export const API_KEYS = { OffsetCommit: 8 } as const;

export async function openSilenceableProxy(port: number, target: string): Promise<SilenceableProxy> {
  const [host, targetPort] = target.split(':');
  let silent = false;
  let trigger: number | null = null;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (silent) return; // accepted, never answered
    const upstream = net.connect(Number(targetPort), host);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    // Requests are forwarded whole, one frame (4-byte size, then api key) at a time, so that one
    // can be held back.
    let pending = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (!silent && pending.length >= 6 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = 4 + pending.readInt32BE(0);
        if (trigger !== null && pending.readInt16BE(4) === trigger) silent = true;
        else upstream.write(pending.subarray(0, size));
        pending = pending.subarray(size);
      }
    });
    upstream.on('data', (d) => silent || client.write(d));
    client.on('end', () => silent || upstream.end());
    upstream.on('end', () => silent || client.end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    silence: () => {
      silent = true;
    },
    silenceAtRequest: (apiKey) => {
      trigger = apiKey;
    },
    restore: () => {
      silent = false;
      trigger = null;
      // Connections that lost bytes cannot carry on; close them so the clients reconnect.
      for (const s of open) s.destroy();
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
