import { promises as dns } from 'node:dns';
import os from 'node:os';

/**
 * The name a person reads on the dashboard: CONSUMER_NAME if set; else the container name that
 * Docker's embedded DNS returns for our own address (compose v2: "lab-consumer-2", v1:
 * "lab_consumer_2.lab_default"); else the hostname (in a container, its short id).
 */
export async function resolveReplicaName(
  configured: string | null,
  lookup: { addresses(): string[]; reverse(ip: string): Promise<string[]> } = systemLookup,
  hostname: string = os.hostname(),
): Promise<string> {
  if (configured) return configured;
  for (const ip of lookup.addresses()) {
    try {
      const names = await lookup.reverse(ip);
      const name = names.map(shortContainerName).find((n) => n.length > 0);
      if (name) return name;
    } catch {
      // no PTR record: not in a compose network
    }
  }
  return hostname;
}

/** "lab_consumer_2.lab_default" -> "lab-consumer-2"; "lab-consumer-2.lab_default" -> "lab-consumer-2". */
export function shortContainerName(fqdn: string): string {
  return fqdn.split('.')[0].replace(/_/g, '-');
}

const systemLookup = {
  addresses(): string[] {
    return Object.values(os.networkInterfaces())
      .flat()
      .filter((i): i is os.NetworkInterfaceInfo => !!i && i.family === 'IPv4' && !i.internal)
      .map((i) => i.address);
  },
  // A PTR query to the DNS server, not dns.reverse(): inside a container that consults
  // /etc/hosts first, where Docker maps our address to the short container id.
  reverse: (ip: string) => withTimeout(new dns.Resolver().resolvePtr(ptrName(ip)), 2000),
};

/** "172.18.0.5" -> "5.0.18.172.in-addr.arpa" */
export function ptrName(ipv4: string): string {
  return `${ipv4.split('.').reverse().join('.')}.in-addr.arpa`;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
