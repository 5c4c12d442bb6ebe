import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConsumerProcess } from '../support/consumer-process';
import { freePort } from '../support/broker';
import { REPO_ROOT, allPanels, concreteExpr, dashboardQueries, loadDashboard, type DashboardQuery } from '../support/dashboard-queries';
import { display, seriesColours, seriesFrames, tableFrame, transform, type PromSeries } from '../support/grafana-data';
import { createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';
import { memberColour } from '../../src/dashboard/member-colours';

// 12 partitions: Prometheus' text order (0, 1, 10, 11, 2, ...) differs from numeric order.
const PARTITIONS = 12;
const STEP_S = 2;

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
type Sample = { metric: Record<string, string> };

/**
 * The repository's prometheus.yml, rewritten for processes on this machine. Docker's DNS does not
 * exist here, so the consumer job keeps only its file-based discovery (the one for colleagues'
 * laptops), pointed at a temporary folder where the test lists each consumer as it starts and
 * removes it when it is killed, as Docker's DNS does; the observer and producer targets and the
 * rules path point at local ones. Every rewrite must apply, so a reshaped prometheus.yml fails here
 * instead of silently testing something else.
 */
function localConfig(remoteDir: string, observerPort: number, producerPort: number, promPort: number): string {
  let text = fs.readFileSync(path.join(REPO_ROOT, 'prometheus.yml'), 'utf8');
  const rewrite = (from: RegExp, to: string) => {
    assert.match(text, from, `prometheus.yml has ${from}`);
    text = text.replace(from, to);
  };
  rewrite(/^( *- *)\/etc\/prometheus\/rules\.yml *$/m, `$1${path.join(REPO_ROOT, 'prometheus/rules.yml')}`);
  rewrite(/^( *)dns_sd_configs:\n(?:\1 +.*\n)+/m, '');
  rewrite(/\/etc\/prometheus\/remote\/\*\.yml/, `${remoteDir}/*.yml`);
  rewrite(/'observer:8080'/, `'127.0.0.1:${observerPort}'`);
  rewrite(/'producer:8080'/, `'127.0.0.1:${producerPort}'`);
  rewrite(/'localhost:9090'/, `'127.0.0.1:${promPort}'`);
  return text;
}

describe('the dashboard against a live Prometheus scraping a group through a join, a pause and a kill', () => {
  const running: ConsumerProcess[] = [];
  let prometheus: ChildProcess | null = null;
  let promLog = '';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-prometheus-'));
  const remoteDir = path.join(tmp, 'remote');
  fs.mkdirSync(remoteDir);
  let api = '';
  let group = '';
  let from = 0;

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

  const prom = async <T>(pathAndQuery: string): Promise<T> => {
    const body = (await (await fetch(`${api}${pathAndQuery}`)).json()) as PromResponse<T>;
    if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  const query = async (expr: string) => (await prom<{ result: Sample[] }>(`/api/v1/query?${new URLSearchParams({ query: expr })}`)).result;
  /** As Grafana runs a graph's or an annotation's query: over the time range, one point per step. */
  const queryRange = async (expr: string) => {
    // Start and end rounded down to the step, as Grafana aligns them (AlignTimeRange in its promlib).
    const align = (s: number) => String(Math.floor(s / STEP_S) * STEP_S);
    const params = new URLSearchParams({ query: expr, start: align(from), end: align(Date.now() / 1000), step: String(STEP_S) });
    return (await prom<{ result: PromSeries[] }>(`/api/v1/query_range?${params}`)).result;
  };
  const run = (q: DashboardQuery) => (q.instant ? query(q.expr) : queryRange(q.expr));
  const listTarget = (c: ConsumerProcess) => fs.writeFileSync(path.join(remoteDir, `${c.name}.yml`), `- targets: ['127.0.0.1:${c.port}']\n`);

  test('every panel and annotation shows data, the split view shows the paused replica, and every rule evaluates', async (t) => {
    const version = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
    if (version.error) assert.fail(`prometheus is not installed (${version.error.message}): run apt-get install -y prometheus`);

    const topic = uniqueName('dashboard');
    group = uniqueName('g');
    await createTopic(topic, PARTITIONS);
    const producer = await ConsumerProcess.start('producer', { KAFKA_TOPIC: topic, TOPIC_PARTITIONS: String(PARTITIONS), RATE: '200', LOG_LEVEL: 'info' }, 'loadgen');
    running.push(producer);
    await producer.waitReady();
    const observer = await ConsumerProcess.start('observer', { KAFKA_TOPIC: topic, LOG_LEVEL: 'info' }, 'observer');
    running.push(observer);

    // Eager `range` so that every rebalance pauses the members (the pause panel has something to
    // show); a short session timeout so that the pause and the kill are noticed within seconds.
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, PROCESSING_MS: '2', LOG_LEVEL: 'info', ASSIGNMENT_STRATEGY: 'range', SESSION_TIMEOUT_MS: '6000', HEARTBEAT_INTERVAL_MS: '1000' };
    const start = async (name: string) => {
      const c = await ConsumerProcess.start(name, env);
      running.push(c);
      listTarget(c);
      return c;
    };
    const first = await start('lab-consumer-1');
    await waitFor(async () => (await first.owned())?.length === PARTITIONS, { what: 'lab-consumer-1 to own every partition' });

    const promPort = await freePort();
    const configFile = path.join(tmp, 'prometheus.yml');
    fs.writeFileSync(configFile, localConfig(remoteDir, observer.port, producer.port, promPort));
    prometheus = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout!.setEncoding('utf8').on('data', (c: string) => (promLog += c));
    prometheus.stderr!.setEncoding('utf8').on('data', (c: string) => (promLog += c));
    api = `http://127.0.0.1:${promPort}`;
    await waitFor(async () => (await fetch(`${api}/-/ready`)).ok, { timeoutMs: 30_000, what: `Prometheus to start (log: ${promLog.slice(-500)})` });
    from = Date.now() / 1000;
    await waitFor(async () => (await query(`count_over_time(up{job="consumer"}[1m]) >= 3`)).length === 1 && (await query(`lab_group_members{group="${group}"} == 1`)).length === 1, {
      timeoutMs: 30_000,
      what: 'Prometheus to scrape lab-consumer-1 and the observer to report the group',
    });

    // Two members join while Prometheus watches.
    const second = await start('lab-consumer-2');
    const third = await start('lab-consumer-3');
    const consumers = [first, second, third];
    await waitFor(async () => {
      const owned = await Promise.all(consumers.map((c) => c.owned()));
      return owned.every((o) => o !== null && o.length > 0) && owned.reduce((n, o) => n + o!.length, 0) === PARTITIONS && (await query(`lab_group_members{group="${group}"} == 3`)).length === 1;
    }, { timeoutMs: 60_000, what: 'three consumers to share the partitions, as the coordinator sees it' });
    // The alert's record reads the coordinator: every partition owned is a 0, not a missing series.
    await waitFor(async () => (await query(`group_topic:lab_group_partitions_without_owner:count{group="${group}"} == 0`)).length === 1, {
      timeoutMs: 20_000,
      what: 'the partitions-without-owner record to show 0 for the group',
    });

    // The zombie: lab-consumer-3 is frozen (what `docker pause` does) and goes on believing it owns
    // its partitions after the coordinator gave them to the others.
    const frozen = (await third.owned())!.sort((a, b) => a - b);
    // What it believes must have reached Prometheus before it freezes: that is all anyone will know.
    await waitFor(async () => (await query('lab_consumer_partition_assigned{consumer="lab-consumer-3"}')).length === frozen.length, {
      timeoutMs: 30_000,
      what: "Prometheus to have scraped lab-consumer-3's partitions",
    });
    third.signal('SIGSTOP');
    let split: Sample[] = [];
    // While the others rebalance, one of them can show for a scrape interval as still claiming a
    // partition it is handing over; wait for the frozen replica's split alone.
    await waitFor(async () => {
      split = await query(`lab:partition_split_view{group="${group}"}`);
      return split.length === frozen.length && split.every((s) => s.metric.consumer === 'lab-consumer-3');
    }, { timeoutMs: 45_000, intervalMs: 500, what: `the split view to show lab-consumer-3's partitions ${frozen.join(',')}` }).catch(async (err: Error) => {
      const seen = async (expr: string) => JSON.stringify((await query(expr)).map((s) => s.metric));
      const values = async (expr: string) => JSON.stringify((await query(expr)).map((s) => [s.metric.instance, s.metric.partition, (s as unknown as { value: [number, string] }).value[1]]));
      throw new Error(
        `${err.message}; split: ${JSON.stringify(split.map((s) => s.metric))}; claimed: ${await seen('lab:consumer_partition_claimed')}; coordinator: ${await seen(`lab_group_partition_owner{group="${group}"}`)}` +
          `; up: ${await values('up{job="consumer"}')}; info ts: ${await values('last_over_time(timestamp(lab_consumer_info)[10m:2s])')}; assigned ts: ${await values('last_over_time(timestamp(lab_consumer_partition_assigned)[10m:2s])')}`,
      );
    });
    assert.deepEqual(split.map((s) => Number(s.metric.partition)).sort((a, b) => a - b), frozen);
    for (const s of split) {
      assert.equal(s.metric.consumer, 'lab-consumer-3');
      assert.ok(['lab-consumer-1', 'lab-consumer-2'].includes(s.metric.member), `the coordinator gave partition ${s.metric.partition} to ${s.metric.member}`);
    }

    // Thawed, it learns it was removed, drops the partitions and rejoins: the split ends.
    third.signal('SIGCONT');
    await waitFor(async () => ((await third.owned())?.length ?? 0) > 0 && (await query(`lab:partition_split_view{group="${group}"}`)).length === 0, {
      timeoutMs: 45_000,
      what: 'lab-consumer-3 to rejoin with partitions and the split view to clear',
    });

    // A crash: nobody tells the group; the coordinator drops it when its session times out.
    // Docker removes a killed container from its DNS; here its target file goes.
    second.signal('SIGKILL');
    await second.exit();
    fs.rmSync(path.join(remoteDir, `${second.name}.yml`));
    await waitFor(async () => ((await first.owned())?.length ?? 0) + ((await third.owned())?.length ?? 0) === PARTITIONS && (await query(`lab_group_member_info{group="${group}", member="lab-consumer-2"}`)).length === 0, {
      timeoutMs: 45_000,
      what: 'the coordinator to drop lab-consumer-2 and the others to own every partition',
    });

    const rules = async () => (await prom<{ groups: { rules: Rule[] }[] }>('/api/v1/rules')).groups.flatMap((g) => g.rules);
    let evaluated: Rule[] = [];
    await waitFor(async () => {
      evaluated = await rules();
      return evaluated.length > 0 && evaluated.every((r) => r.health !== 'unknown');
    }, { timeoutMs: 20_000, what: 'every rule to be evaluated once' });
    t.diagnostic(`${evaluated.filter((r) => r.type === 'recording').length} recording rules, ${evaluated.filter((r) => r.type === 'alerting').length} alerts`);
    assert.deepEqual(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`), [], 'every rule evaluates without error');

    const queries = dashboardQueries(loadDashboard(), undefined, { group });
    // Bars that appear only when something went wrong, or when a replica re-received its own
    // messages (not every run does): they must work, but a healthy run may leave them empty.
    const onlyOnTrouble = (q: DashboardQuery) => !q.instant && /> 0$/.test(q.raw) && /lab_consumer_(sequence_gaps|redeliveries)_total/.test(q.raw);
    t.diagnostic(`${queries.length} dashboard queries`);
    let empty: string[] = [];
    try {
      await waitFor(async () => {
        empty = [];
        for (const q of queries.filter((x) => !onlyOnTrouble(x))) if ((await run(q)).length === 0) empty.push(`${q.where}: ${q.expr}`);
        return empty.length === 0;
      }, { timeoutMs: 45_000, intervalMs: 1000, what: 'every dashboard query to return data' });
    } catch {
      assert.fail(`dashboard queries that returned nothing (a panel that shows nothing is a broken panel):\n  ${empty.join('\n  ')}`);
    }
    // A pause, a kill and rebalances lose nothing.
    const story = () => JSON.stringify(consumers.map((c) => [c.name, c.lines.filter((l) => /gap|rebalance|fenced|lost/.test(String(l.msg))).map((l) => ({ ...l, time: undefined, pid: undefined, hostname: undefined }))]));
    for (const q of queries.filter((x) => onlyOnTrouble(x) && /sequence_gaps/.test(x.raw))) assert.deepEqual(await run(q), [], `${q.where}: ${story()}`);
    assert.deepEqual(await query('ALERTS{alertname="SequenceGap"}'), []);

    // What the annotations mark: the joins and the kill, from the coordinator's membership.
    const annotation = (name: string) => queries.find((q) => q.where === `annotation "${name}"`)!;
    const members = async (name: string) => new Set((await run(annotation(name))).map((s) => s.metric.member));
    const joined = await members('Member joined (coordinator)');
    for (const m of ['lab-consumer-2', 'lab-consumer-3']) assert.ok(joined.has(m), `"${m} joined" is marked (${[...joined].join(', ')})`);
    // The last step of the range may precede the moment the coordinator dropped it: like a viewer,
    // wait for the next refresh.
    let left = new Set<string>();
    await waitFor(async () => (left = await members('Member left (coordinator)')).has('lab-consumer-2'), { timeoutMs: 10_000, intervalMs: 1000, what: 'the killed lab-consumer-2 to be marked as left' }).catch(async (err: Error) => {
      const history = (await queryRange(`lab_group_member_info{group="${group}"}`)).map((s) => [s.metric.member, s.values[0][0], s.values[s.values.length - 1][0]]);
      throw new Error(`${err.message} (marked: ${[...left].join(', ')}; membership over the range: ${JSON.stringify(history)})`);
    });
  });

  test('the ownership timeline, through Grafana\'s own transformations and mappings, shows partitions in numeric order and each member in the colour of its series', async () => {
    assert.ok(api, 'the live group ran');
    const panels = allPanels(loadDashboard());
    const timeline = panels.find((p) => p.title.startsWith('Partition owner (coordinator)'))!;
    const perMember = panels.find((p) => p.title.startsWith('Partitions per member over time (coordinator)'))!;
    const vars = { group };

    const ownerResult = await queryRange(concreteExpr(timeline.targets![0].expr!, undefined, vars));
    const [frame] = await transform(timeline.transformations as never, [tableFrame(ownerResult)]);
    // One row per partition, top to bottom 0, 1, 2, ... 11: the rows a viewer reads.
    assert.deepEqual(frame.fields.slice(1).map((f) => f.name), Array.from({ length: PARTITIONS }, (_, i) => String(i)));

    // Each cell's text and colour as Grafana displays them: the owner's name, in its colour.
    const cellColours = new Map<string, Set<string>>();
    for (const field of frame.fields.slice(1)) {
      for (const v of field.values as string[]) {
        const shown = display(timeline.fieldConfig!.defaults, v);
        if (v === '') {
          assert.deepEqual(shown, { text: 'no owner', color: '#F2495C' });
          continue;
        }
        assert.equal(shown.text, v);
        if (!cellColours.has(v)) cellColours.set(v, new Set());
        cellColours.get(v)!.add(shown.color);
      }
    }
    assert.deepEqual([...cellColours.keys()].sort(), ['lab-consumer-1', 'lab-consumer-2', 'lab-consumer-3']);
    const colours = new Set<string>();
    for (const [member, seen] of cellColours) {
      assert.equal(seen.size, 1, `${member} has one colour on the timeline`);
      colours.add([...seen][0]);
    }
    assert.equal(colours.size, 3, 'three members, three colours');

    // The same member in the time series of partitions per member: the same colour.
    const seriesResult = await queryRange(concreteExpr(perMember.targets![0].expr!, undefined, vars));
    const series = seriesColours(perMember.fieldConfig as never, seriesFrames(seriesResult, perMember.targets![0].legendFormat!));
    assert.deepEqual([...series.keys()].sort(), [...cellColours.keys()].sort());
    for (const [member, seen] of cellColours) {
      assert.equal(series.get(member), [...seen][0], `${member}: same colour in the time series as on the timeline`);
      assert.equal(series.get(member), memberColour(member));
    }
  });
});
