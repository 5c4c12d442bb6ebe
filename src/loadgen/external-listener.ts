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

/** The brokers as the listener at `listener` advertises them, from one bootstrap's metadata. */
export async function advertisedBrokers(listener: string, security: KafkaSecurity, clientId = 'loadgen-external-listener-check', timeoutMs = CHECK_TIMEOUT_MS): Promise<Kafka.BrokerMetadata[]> {
  const client = new Kafka.Producer({ 'bootstrap.servers': listener, 'client.id': clientId, ...securitySettings(security) });
  // The advertised address is unreachable from here too when it is wrong: those errors are the point.
  client.on('event.error', () => undefined);
  try {
    const md = await new Promise<Kafka.Metadata>((resolve, reject) => client.connect({ timeout: timeoutMs }, (err, data) => (err ? reject(err) : resolve(data))));
    return md.brokers;
  } finally {
    // node-rdkafka never calls back a disconnect of a client that did not connect (see main.ts).
    if (client.isConnected()) await new Promise<void>((resolve) => client.disconnect(0, () => resolve()));
  }
}
