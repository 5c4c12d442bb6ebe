/**
 * A standalone reproduction of the observer's librdkafka abort (issue 17): a three-node cluster,
 * one consumer in a group, the observer's own Kafka client process (dist/src/observer/
 * kafka-client-process.js, forked as the observer forks it, but with nobody restarting it), and
 * REPRO_KILLS (default 10) rounds of kill -9 of the group's coordinator, back after 15 s. A client
 * that dies (SIGABRT: the assertion) or exits (75: stuck) is started again for the next round.
 *
 *   npm run build && node dist/test/brokers3/abort-repro.js
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startCluster } from '../support/cluster';
import { ConsumerProcess } from '../support/consumer-process';
import { createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';
import type { KafkaClientMessage } from '../../src/observer/kafka-client-messages';

const KILLS = Number(process.env.REPRO_KILLS ?? 10);
const OUTAGE_MS = 15_000;
const AFTER_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Client {
  child: ChildProcess;
  coordinator: number | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  stderr: string;
}

function startClient(env: Record<string, string>): Client {
  const child = fork(path.resolve(__dirname, '../../src/observer/kafka-client-process.js'), [], {
    env: { PATH: process.env.PATH, ...env },
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const c: Client = { child, coordinator: null, exit: null, stderr: '' };
  child.on('message', (m: KafkaClientMessage) => {
    if (m.type === 'polled') {
      const id = /\(id (\d+)\)/.exec(m.views[0]?.coordinator ?? '')?.[1];
      c.coordinator = id === undefined ? null : Number(id);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (c.stderr += s));
  child.once('exit', (code, signal) => (c.exit = { code, signal }));
  return c;
}

async function main(): Promise<void> {
  const cluster = await startCluster();
  const consumers: ConsumerProcess[] = [];
  let client: Client | null = null;
  const outcomes: string[] = [];
  try {
    const topic = uniqueName('repro');
    const group = uniqueName('repro-g');
    await createTopic(topic, 6, cluster.bootstrap, 3);
    consumers.push(await ConsumerProcess.start('c1', { KAFKA_BROKERS: cluster.bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, LOG_LEVEL: 'warn' }));
    const env = { KAFKA_BROKERS: cluster.bootstrap, KAFKA_TOPIC: topic, OBSERVER_GROUPS: group, OBSERVER_INTERVAL_MS: '250' };
    for (let round = 1; round <= KILLS; round++) {
      if (!client || client.exit) client = startClient(env);
      const c = client;
      c.coordinator = null;
      const coordinator = await waitFor(() => c.coordinator ?? (c.exit ? 'exited' : null), { timeoutMs: 90_000, what: 'a poll naming the coordinator' });
      if (coordinator === 'exited') {
        outcomes.push(`round ${round}: the client exited before the kill (${c.exit?.signal ?? c.exit?.code}) ${c.stderr.trim().slice(-200)}`);
        process.stdout.write(outcomes[outcomes.length - 1] + '\n');
        continue;
      }
      const victim = cluster.node(coordinator);
      await victim.kill();
      const at = Date.now();
      await sleep(OUTAGE_MS);
      await victim.start();
      const deadline = Date.now() + AFTER_MS;
      while (Date.now() < deadline && !c.exit) await sleep(200);
      const after = `${((Date.now() - at) / 1000).toFixed(1)} s after the kill of broker ${coordinator}`;
      if (c.exit?.signal) outcomes.push(`round ${round}: died by ${c.exit.signal} ${after}: ${/\S+: Assertion .*/.exec(c.stderr)?.[0] ?? c.stderr.trim().slice(-200)}`);
      else if (c.exit) outcomes.push(`round ${round}: exited with ${c.exit.code} (75: stuck) ${after}`);
      else outcomes.push(`round ${round}: survived the kill of broker ${coordinator}`);
      process.stdout.write(outcomes[outcomes.length - 1] + '\n');
    }
  } finally {
    client?.child.kill('SIGKILL');
    for (const c of consumers) await c.kill().catch(() => undefined);
    await cluster.stop();
  }
  const aborts = outcomes.filter((o) => o.includes('died by')).length;
  process.stdout.write(`aborts: ${aborts} of ${outcomes.length} rounds; stuck exits: ${outcomes.filter((o) => o.includes('exited with')).length}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
