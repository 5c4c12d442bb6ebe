import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConsumerProcess } from '../support/consumer-process';
import { freePort } from '../support/broker';
import { REPO_ROOT, dashboardQueries } from '../support/dashboard-queries';
import { createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';

const PARTITIONS = 6;

interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
}
interface Rule {
  name: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
}

/**
 * The repository's prometheus.yml, rewritten for processes on this machine. Docker's DNS does not
 * exist here, so the consumer job's dns_sd_configs becomes static_configs listing each consumer's
 * 127.0.0.1 metrics port; the rules path points at the repository file. Every rewrite must apply,
 * so a reshaped prometheus.yml fails here instead of silently testing something else.
 */
function localConfig(consumers: ConsumerProcess[], producer: ConsumerProcess, promPort: number): string {
  let text = fs.readFileSync(path.join(REPO_ROOT, 'prometheus.yml'), 'utf8');
  const rewrite = (from: RegExp, to: string) => {
    assert.match(text, from, `prometheus.yml has ${from}`);
    text = text.replace(from, to);
  };
  rewrite(/^( *- *)\/etc\/prometheus\/rules\.yml *$/m, `$1${path.join(REPO_ROOT, 'prometheus/rules.yml')}`);
  const targets = consumers.map((c) => `'127.0.0.1:${c.port}'`).join(', ');
  rewrite(/^( *)dns_sd_configs:\n(?:\1 +.*\n)+/m, `$1static_configs:\n$1  - targets: [${targets}]\n`);
  rewrite(/'producer:8080'/, `'127.0.0.1:${producer.port}'`);
  rewrite(/'localhost:9090'/, `'127.0.0.1:${promPort}'`);
  return text;
}

describe('the dashboard against a live Prometheus scraping a rebalancing group', () => {
  const running: ConsumerProcess[] = [];
  let prometheus: ChildProcess | null = null;
  let promLog = '';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-prometheus-'));

  after(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await Promise.all(running.map((c) => c.kill()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('every panel and annotation query returns data, and every rule evaluates without error', async (t) => {
    const version = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
    if (version.error) assert.fail(`prometheus is not installed (${version.error.message}): run apt-get install -y prometheus`);

    const topic = uniqueName('dashboard');
    await createTopic(topic, PARTITIONS);
    const producer = await ConsumerProcess.start('producer', { KAFKA_TOPIC: topic, TOPIC_PARTITIONS: String(PARTITIONS), RATE: '200', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(producer);
    await producer.waitReady();

    // One consumer, then two more: two rebalances before Prometheus starts, one (a clean leave) after.
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), PROCESSING_MS: '2', LOG_LEVEL: 'info' };
    const first = await ConsumerProcess.start('lab-consumer-1', env);
    running.push(first);
    await waitFor(async () => (await first.owned())?.length === PARTITIONS, { what: 'lab-consumer-1 to own every partition' });
    const consumers = [first, await ConsumerProcess.start('lab-consumer-2', env), await ConsumerProcess.start('lab-consumer-3', env)];
    running.push(...consumers.slice(1));
    await waitFor(async () => {
      const owned = await Promise.all(consumers.map((c) => c.owned()));
      return owned.every((o) => o !== null && o.length > 0) && owned.reduce((n, o) => n + o!.length, 0) === PARTITIONS;
    }, { timeoutMs: 60_000, what: 'three consumers to share the partitions' });

    const promPort = await freePort();
    const configFile = path.join(tmp, 'prometheus.yml');
    fs.writeFileSync(configFile, localConfig(consumers, producer, promPort));
    prometheus = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout!.setEncoding('utf8').on('data', (c: string) => (promLog += c));
    prometheus.stderr!.setEncoding('utf8').on('data', (c: string) => (promLog += c));
    const api = `http://127.0.0.1:${promPort}`;
    const query = async (expr: string) => {
      const res = await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as PromResponse<{ resultType: string; result: unknown[] }>;
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data.result;
    };
    await waitFor(async () => (await fetch(`${api}/-/ready`)).ok, { timeoutMs: 30_000, what: `Prometheus to start (log: ${promLog.slice(-500)})` });
    await waitFor(async () => (await query('count_over_time(up{job="consumer"}[1m]) >= 5')).length === consumers.length, {
      timeoutMs: 30_000,
      what: 'Prometheus to scrape every consumer five times',
    });

    // The third consumer leaves cleanly while Prometheus watches: the others take its partitions.
    const leaver = consumers[2];
    leaver.signal('SIGTERM');
    await leaver.exit();
    await waitFor(async () => ((await first.owned())?.length ?? 0) + ((await consumers[1].owned())?.length ?? 0) === PARTITIONS, {
      timeoutMs: 30_000,
      what: 'the remaining consumers to own every partition',
    });

    const rules = async () => {
      const res = (await (await fetch(`${api}/api/v1/rules`)).json()) as PromResponse<{ groups: { rules: Rule[] }[] }>;
      return res.data.groups.flatMap((g) => g.rules);
    };
    let lastRules: Rule[] = [];
    const evaluated = await waitFor(async () => {
      lastRules = await rules();
      return lastRules.length > 0 && lastRules.every((r) => r.health !== 'unknown') ? lastRules : null;
    }, { timeoutMs: 20_000, what: 'every rule to be evaluated once' }).catch((err: Error) => {
      throw new Error(`${err.message}; rules: ${JSON.stringify(lastRules.map((r) => [r.name, r.health, r.lastError]))}`);
    });
    t.diagnostic(`${evaluated.filter((r) => r.type === 'recording').length} recording rules, ${evaluated.filter((r) => r.type === 'alerting').length} alerts`);
    assert.deepEqual(
      evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      [],
      'every rule evaluates without error',
    );

    // Poll until every query has data instead of sleeping: rates need a few scrapes after the
    // rebalance, lag needs a librdkafka statistics report.
    const queries = dashboardQueries();
    t.diagnostic(`${queries.length} dashboard queries`);
    let empty: string[] = [];
    try {
      await waitFor(async () => {
        empty = [];
        for (const q of queries) if ((await query(q.expr)).length === 0) empty.push(`${q.where}: ${q.expr}`);
        return empty.length === 0;
      }, { timeoutMs: 45_000, intervalMs: 1000, what: 'every dashboard query to return data' });
    } catch {
      assert.fail(`dashboard queries that returned nothing (a panel that shows nothing is a broken panel):\n  ${empty.join('\n  ')}`);
    }

    for (const name of ['ConsumerLagGrowing', 'PartitionsWithoutOwner', 'RebalanceStorm', 'ConsumerDown', 'SequenceGap']) {
      assert.ok(evaluated.some((r) => r.type === 'alerting' && r.name === name), `alert ${name} is loaded`);
    }
    // A healthy run loses nothing.
    assert.deepEqual(await query('ALERTS{alertname="SequenceGap"}'), []);
  });
});
