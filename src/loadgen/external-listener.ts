import Kafka from 'node-rdkafka';
import net from 'node:net';
import type { Logger } from 'pino';
import { describeKafkaError } from '../shared/kafka-errors';
import { securitySettings, type KafkaSecurity } from '../shared/kafka-security';

const CHECK_TIMEOUT_MS = 10_000;

/**
 * True for an address a client on another machine cannot use to reach this one: loopback (by
 * number or by name) or unspecified. Such a client bootstraps fine, is told to use this address,
 * and then retries against its own laptop forever.
 */
export function unreachableFromElsewhere(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.') || h === '0.0.0.0';
  if (net.isIPv6(h)) {
    const list = new net.BlockList();
    list.addAddress('::1', 'ipv6');
    list.addAddress('::', 'ipv6');
    return list.check(h, 'ipv6');
  }
  return false;
}

/**
 * Bootstraps through the listener other machines use (`listener`, as this program reaches it,
 * e.g. kafka:9094 inside compose) and logs what that listener advertises: a warn line when other
 * machines would be sent to a loopback address, an info line otherwise. Never throws: it is advice.
 */
export async function checkExternalListener(listener: string, security: KafkaSecurity, log: Logger, attempts = 6, retryMs = 5_000): Promise<void> {
  // Kafka may still be starting (compose recreates it with the load generator): try a few times
  // before saying the listener cannot be reached.
  for (let attempt = 1; ; attempt++) {
    try {
      const brokers = await advertisedBrokers(listener, security);
      const advertised = brokers.map((b) => `${b.host}:${b.port}`);
      const bad = brokers.filter((b) => unreachableFromElsewhere(b.host)).map((b) => `${b.host}:${b.port}`);
      if (bad.length > 0) {
        log.warn(
          { externalListener: listener, advertised },
          `Kafka's external listener advertises ${bad.join(', ')}, a loopback address: a client on another machine connects, is sent ` +
            "back to its own machine and never joins. Set KAFKA_EXTERNAL_HOST in .env to this machine's LAN address, then docker compose up -d",
        );
      } else {
        log.info({ externalListener: listener, advertised }, `Kafka's external listener advertises ${advertised.join(', ')} to other machines`);
      }
      return;
    } catch (err) {
      if (attempt >= attempts) {
        log.warn({ externalListener: listener, attempts, err: describeKafkaError(err) }, `cannot reach Kafka's external listener at ${listener} to check what it advertises`);
        return;
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
}

/**
 * Reads the broker list of librdkafka's metadata responses from its `metadata` debug log, one
 * "  Broker #i/n: host:port NodeId id" line per broker. Returns the list once a response's n
 * brokers are all seen; null until then.
 */
export class MetadataBrokerLog {
  private seen = new Map<number, Kafka.BrokerMetadata>();
  private expected = -1;

  line(message: string): Kafka.BrokerMetadata[] | null {
    const m = /Broker #(\d+)\/(\d+): (\S+):(\d+) NodeId (-?\d+)/.exec(message);
    if (!m) return null;
    const [index, count] = [Number(m[1]), Number(m[2])];
    // A new response starts at #0 (or names another count): what came before belongs to another.
    if (index === 0 || count !== this.expected) {
      this.seen.clear();
      this.expected = count;
    }
    this.seen.set(index, { id: Number(m[5]), host: m[3], port: Number(m[4]) });
    if (this.seen.size < count) return null;
    return [...this.seen.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
  }
}

/**
 * The brokers as the listener at `listener` advertises them, from the first metadata response.
 *
 * Read from librdkafka's debug log rather than from a metadata request of our own: since 2.10
 * librdkafka drops the bootstrap broker as soon as a response names the real ones, so a request
 * made after that goes to the advertised address, which is exactly the one that may never answer
 * (a loopback address seen from a laptop). The first response arrives on the bootstrap connection
 * itself, before any of that. Connect's own metadata is taken too, whichever comes first.
 */
export async function advertisedBrokers(listener: string, security: KafkaSecurity, clientId = 'loadgen-external-listener-check', timeoutMs = CHECK_TIMEOUT_MS): Promise<Kafka.BrokerMetadata[]> {
  const client = new Kafka.Producer({ 'bootstrap.servers': listener, 'client.id': clientId, debug: 'metadata', ...securitySettings(security) });
  // The advertised address is unreachable from here too when it is wrong: those errors are the point.
  client.on('event.error', () => undefined);
  const fromLog = new MetadataBrokerLog();
  try {
    return await new Promise<Kafka.BrokerMetadata[]>((resolve, reject) => {
      client.on('event.log', (entry: { message?: string }) => {
        const brokers = fromLog.line(entry.message ?? '');
        if (brokers) resolve(brokers);
      });
      client.connect({ timeout: timeoutMs }, (err, data) => (err ? reject(err) : resolve(data.brokers)));
    });
  } finally {
    client.removeAllListeners('event.log');
    // Not awaited: when the answer came from the log, connect's own metadata request may still be
    // waiting for the advertised address (up to `timeoutMs`), and the disconnect waits behind it.
    // node-rdkafka never calls back a disconnect of a client that did not connect (see main.ts).
    if (client.isConnected()) client.disconnect(0, () => undefined);
  }
}
