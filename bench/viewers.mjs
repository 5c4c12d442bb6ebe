#!/usr/bin/env node
// What fifteen browsers on the dashboard cost the instructor's Prometheus (issue 18, item 8).
//
// 1. Records what Prometheus would scrape in a full room: a real broker, the load generator, the
//    observer and MEMBERS (15) of our consumers on a 12-partition topic; one /metrics page of each
//    once the group is stable. Then everything is stopped, so the measurement below does not share
//    the machine with fifteen consumers.
// 2. Serves those pages from stand-in targets (one port each), counters moving forward on every
//    scrape, and runs Debian's prometheus with the repository's prometheus.yml and rules (rewritten
//    for local targets) on them.
// 3. After WARMUP_S of scraping, VIEWERS (15) simulated browsers refresh every REFRESH_S (5 s),
//    staggered: each refresh issues every query of grafana/dashboards/*.json as Grafana would
//    (range queries over the dashboard's default time range with the step Grafana picks for the
//    panel's width, instant ones for stats and tables, the annotations too), at most 6 at a time
//    per browser. Measured per window of WINDOW_S: queries per second, Prometheus CPU (from
//    /proc/<pid>/stat) and RSS, p50/p99 query latency. Verdict: within one core or not.
//
// PHASES measures several dashboards or views of one, one after the other on the same data:
// `<file>:<rows>`, comma-separated; file `current` is grafana/dashboards/consumer-group-lab.json,
// rows `as-saved` leaves out the panels of folded rows and the disabled annotations (Grafana
// queries them only once a viewer unfolds the row or ticks the annotation) and `all` counts them
// too (every viewer opened Diagnostics and ticked every annotation). Default
// `current:all,current:as-saved`. To compare with an earlier dashboard:
// `git show <commit>:grafana/dashboards/consumer-group-lab.json > /tmp/before.json` and
// PHASES=/tmp/before.json:all,current:all,current:as-saved.
//
// Prometheus holds only WARMUP_S + elapsed of data, not the dashboard's 15 minutes: the windows
// are printed with the data's age so the growth towards a full range shows. `npm run
// bench:viewers`; writes bench/results/viewers-latest.json. About 2 + (WARMUP_S + phases *
// (WINDOWS * WINDOW_S + 20)) / 60 minutes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, round, sleep } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist/src/main.js');
const { startBroker, freePort } = require(path.join(ROOT, 'dist/test/support/broker.js'));
const { DASHBOARD_FILE, concreteExpr, dashboardQueries, grafanaStepSeconds, loadDashboard } = require(path.join(ROOT, 'dist/test/support/dashboard-queries.js'));

const MEMBERS = Number(process.env.MEMBERS ?? 15);
const PARTITIONS = Number(process.env.PARTITIONS ?? 12);
const VIEWERS = Number(process.env.VIEWERS ?? 15);
const REFRESH_S = Number(process.env.REFRESH_S ?? 5);
const WARMUP_S = Number(process.env.WARMUP_S ?? 60);
const WINDOW_S = Number(process.env.WINDOW_S ?? 60);
const WINDOWS = Number(process.env.WINDOWS ?? 5);
/** A full-width panel on a 1600 px screen; Grafana's maxDataPoints defaults to the panel's pixel width. */
const SCREEN_PX = Number(process.env.SCREEN_PX ?? 1500);
const PHASES = (process.env.PHASES ?? 'current:all,current:as-saved').split(',').map((spec) => {
  const at = spec.lastIndexOf(':');
  const file = spec.slice(0, at);
  const rows = spec.slice(at + 1);
  if (at <= 0 || !['all', 'as-saved'].includes(rows)) throw new Error(`PHASES: "${spec}" is not <file>:<rows>; rows is all or as-saved, file a dashboard JSON or current`);
  return { spec, file: file === 'current' ? DASHBOARD_FILE : path.resolve(file), rows };
});
const GROUP = 'lab-group';
const SCRAPE_S = 2; // prometheus.yml's scrape_interval and the datasource's timeInterval
const CLK_TCK = 100; // Linux USER_HZ, what /proc/<pid>/stat counts CPU in

/** GET with a few retries: fifteen consumers starting on a busy machine answer slowly or reset. */
async function get(port, urlPath) {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(10_000) });
      if (res.ok) return await res.text();
      throw new Error(`${urlPath}: HTTP ${res.status}`);
    } catch (err) {
      if (i >= 4) throw err;
      await sleep(1000);
    }
  }
}

// ---------- 1. a room's metrics pages, recorded from the real programs ----------
async function recordPages() {
  const children = [];
  const start = (command, env) => {
    const child = spawn(process.execPath, [MAIN, command], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  const broker = await startBroker();
  let recording = true;
  try {
    const topic = 'lab-events';
    const base = { KAFKA_BROKERS: broker.bootstrap, KAFKA_TOPIC: topic };
    const ports = { producer: await freePort(), observer: await freePort(), consumers: [] };
    start('loadgen', { ...base, TOPIC_PARTITIONS: String(PARTITIONS), RATE: '100', METRICS_PORT: String(ports.producer) });
    start('observer', { ...base, METRICS_PORT: String(ports.observer) });
    await sleep(3000);
    // A port found free can be taken before the consumer binds it on a busy machine: the consumer
    // then stops at start (EADDRINUSE), and is started again on another port.
    const startConsumer = async (i) => {
      const port = await freePort();
      ports.consumers[i - 1] = port;
      const child = start('consumer', { ...base, KAFKA_GROUP_ID: GROUP, PROCESSING_MS: '0', CONSUMER_NAME: `lab-consumer-${i}`, METRICS_PORT: String(port) });
      child.once('exit', (code) => {
        if (recording && code !== 0 && code !== null) void startConsumer(i);
      });
    };
    for (let i = 1; i <= MEMBERS; i++) await startConsumer(i);
    const deadline = Date.now() + 180_000;
    for (;;) {
      const doc = await get(ports.observer, '/groups').then(JSON.parse, () => ({ groups: [] }));
      const g = doc.groups?.find((x) => x.group === GROUP);
      if (g && g.members.length === MEMBERS && g.state === 'Stable' && g.partitions.every((p) => p.owner)) break;
      if (Date.now() > deadline) throw new Error(`the group did not settle with ${MEMBERS} members: ${JSON.stringify(g?.members.length)}`);
      await sleep(1000);
    }
    await sleep(6000); // one librdkafka statistics report (5 s) into every page
    const page = (port) => get(port, '/metrics');
    const pages = { producer: await page(ports.producer), observer: await page(ports.observer), consumers: await Promise.all(ports.consumers.map(page)) };
    recording = false;
    return pages;
  } finally {
    recording = false;
    for (const c of children) c.kill('SIGKILL');
    await broker.stop();
  }
}

// ---------- 2. stand-in targets: the recorded pages, counters moving ----------
/** Serves `text` with every counter-like sample advanced in proportion to the time since the start. */
function serve(text, port) {
  const started = Date.now();
  const lines = text.split('\n');
  const server = http.createServer((_req, res) => {
    const t = (Date.now() - started) / 1000;
    const out = lines.map((line) => {
      if (line.startsWith('#') || line === '') return line;
      const name = line.slice(0, line.search(/[ {]/));
      const grows = /(_total|_count|_bucket|_sum|_offset)$/.test(name);
      if (!grows) return line;
      const at = line.lastIndexOf(' ');
      const v = Number(line.slice(at + 1));
      if (!Number.isFinite(v)) return line;
      const step = name.startsWith('process_') || name.endsWith('_sum') ? 0.01 : 10;
      return `${line.slice(0, at)} ${round(v + step * t, 3)}`;
    });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(out.join('\n'));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** The repository's prometheus.yml with Docker's names replaced by the stand-ins (as the dashboard test does). */
function prometheusConfig(remoteDir, observerPort, producerPort, promPort) {
  let text = readFileSync(path.join(ROOT, 'prometheus.yml'), 'utf8');
  const rewrite = (from, to) => {
    if (!from.test(text)) throw new Error(`prometheus.yml no longer has ${from}: update bench/viewers.mjs`);
    text = text.replace(from, to);
  };
  rewrite(/^( *- *)\/etc\/prometheus\/rules\.yml *$/m, `$1${path.join(ROOT, 'prometheus/rules.yml')}`);
  rewrite(/^( *)dns_sd_configs:\n(?:\1 +.*\n)+/m, '');
  rewrite(/\/etc\/prometheus\/remote\/\*\.yml/, `${remoteDir}/*.yml`);
  rewrite(/'observer:8080'/, `'127.0.0.1:${observerPort}'`);
  rewrite(/'producer:8080'/, `'127.0.0.1:${producerPort}'`);
  rewrite(/'localhost:9090'/, `'127.0.0.1:${promPort}'`);
  return text;
}

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { cpuSeconds: (Number(f[11]) + Number(f[12])) / CLK_TCK, rssMB: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024 };
}

// ---------- 3. the viewers ----------
function parseDuration(d) {
  const m = /^now-(\d+)([smh])$/.exec(d);
  if (!m) throw new Error(`unsupported dashboard time ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2]];
}

/**
 * Every request one browser refresh sends, as Grafana builds them. Panels of a folded row are
 * queried only once the row is unfolded: `rows` as-saved leaves them out, all counts them.
 */
function refreshRequests(file, rows) {
  const dashboard = loadDashboard(file);
  const rangeS = parseDuration(dashboard.time.from);
  const folded = new Set(dashboard.panels.flatMap((p) => (p.type === 'row' && p.collapsed ? (p.panels ?? []) : [])));
  const requests = [];
  for (const q of dashboardQueries(dashboard)) {
    if (rows === 'as-saved' && q.panel && folded.has(q.panel)) continue;
    // An annotation's `step` is its query's minimum step.
    const annotation = q.panel ? undefined : dashboard.annotations.list.find((a) => q.where === `annotation "${a.name}"`);
    // A disabled annotation is queried only once a viewer ticks it (`all`: every viewer did).
    if (rows === 'as-saved' && annotation && annotation.enable === false) continue;
    const stepS = grafanaStepSeconds(rangeS, q.panel, q.target ?? (annotation?.step ? { interval: annotation.step } : undefined), SCRAPE_S, SCREEN_PX);
    // $__rate_interval = max($__interval + scrape interval, 4 x scrape interval)
    const rateS = Math.max(stepS + SCRAPE_S, 4 * SCRAPE_S);
    const durations = { rateInterval: `${rateS}s`, interval: `${stepS}s`, range: `${rangeS}s` };
    requests.push({ where: q.where, expr: concreteExpr(q.raw, durations, { group: GROUP }), instant: q.instant, stepS, rangeS });
  }
  return requests;
}

async function main() {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  process.stdout.write(`viewers: recording the metrics pages of ${MEMBERS} consumers, the observer and the load generator\n`);
  const pages = await recordPages();
  const series = (t) => t.split('\n').filter((l) => l && !l.startsWith('#')).length;
  const seriesCount = series(pages.observer) + series(pages.producer) + pages.consumers.reduce((a, p) => a + series(p), 0);

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'viewers-bench-'));
  const servers = [];
  let prometheus = null;
  try {
    const remoteDir = path.join(tmp, 'remote');
    mkdirSync(remoteDir);
    const producerPort = await freePort();
    const observerPort = await freePort();
    const promPort = await freePort();
    servers.push(await serve(pages.producer, producerPort), await serve(pages.observer, observerPort));
    const consumerTargets = [];
    for (const p of pages.consumers) {
      const port = await freePort();
      servers.push(await serve(p, port));
      consumerTargets.push(`'127.0.0.1:${port}'`);
    }
    writeFileSync(path.join(remoteDir, 'room.yml'), `- targets: [${consumerTargets.join(', ')}]\n`);
    writeFileSync(path.join(tmp, 'prometheus.yml'), prometheusConfig(remoteDir, observerPort, producerPort, promPort));
    prometheus = spawn('prometheus', [`--config.file=${path.join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const api = `http://127.0.0.1:${promPort}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${api}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 100) throw new Error('prometheus did not become ready');
      await sleep(200);
    }
    const promStarted = Date.now();
    process.stdout.write(`viewers: prometheus scraping ${MEMBERS + 2} stand-ins (${seriesCount} samples per round); warming up ${WARMUP_S} s\n`);
    await sleep(WARMUP_S * 1000);

    const latencies = [];
    let failures = 0;
    let lastFailure = '';
    const runOne = async (r) => {
      const end = Date.now() / 1000;
      const params = r.instant
        ? new URLSearchParams({ query: r.expr, time: String(end) })
        : new URLSearchParams({ query: r.expr, start: String(Math.floor((end - r.rangeS) / r.stepS) * r.stepS), end: String(Math.floor(end / r.stepS) * r.stepS), step: String(r.stepS) });
      const t0 = performance.now();
      // Grafana's datasource is set to POST (httpMethod in the provisioning file).
      const res = await fetch(`${api}/api/v1/${r.instant ? 'query' : 'query_range'}`, { method: 'POST', body: params, headers: { 'content-type': 'application/x-www-form-urlencoded' } }).catch((e) => ({ ok: false, statusText: String(e), text: async () => '' }));
      const body = await res.text();
      latencies.push(performance.now() - t0);
      if (!res.ok) {
        failures++;
        lastFailure = `${r.where}: ${res.status ?? ''} ${body.slice(0, 200)}`;
      }
    };

    /** Fifteen viewers on one dashboard for WINDOWS windows, then each of its queries once alone. */
    const measure = async (phase) => {
      const requests = refreshRequests(phase.file, phase.rows);
      process.stdout.write(`viewers: phase ${phase.spec}: ${requests.length} queries a refresh\n`);
      let running = true;
      /** One browser: all of the dashboard's queries every REFRESH_S, six in flight at a time (a browser's per-host limit). */
      const viewer = async (offsetMs) => {
        await sleep(offsetMs);
        while (running) {
          const t0 = Date.now();
          const queue = [...requests];
          await Promise.all(Array.from({ length: 6 }, async () => {
            while (queue.length) await runOne(queue.shift());
          }));
          await sleep(Math.max(0, REFRESH_S * 1000 - (Date.now() - t0)));
        }
      };
      const viewers = Array.from({ length: VIEWERS }, (_, i) => viewer((i * REFRESH_S * 1000) / VIEWERS));
      const windows = [];
      await sleep(REFRESH_S * 1000); // every viewer has started
      for (let w = 0; w < WINDOWS; w++) {
        const before = procStat(prometheus.pid);
        latencies.length = 0;
        const f0 = failures;
        const t0 = Date.now();
        await sleep(WINDOW_S * 1000);
        const s = (Date.now() - t0) / 1000;
        const after = procStat(prometheus.pid);
        const lat = [...latencies];
        const win = {
          dataAgeSeconds: Math.round((Date.now() - promStarted) / 1000),
          queriesPerSecond: round(lat.length / s, 1),
          prometheusCpuCores: round((after.cpuSeconds - before.cpuSeconds) / s, 2),
          // Per query, so that a machine too busy to send the full rate still tells the full rate's cost.
          prometheusCpuMsPerQuery: round(((after.cpuSeconds - before.cpuSeconds) * 1000) / Math.max(1, lat.length), 2),
          prometheusRssMB: Math.round(after.rssMB),
          latencyMs: { p50: round(percentile(lat, 50), 1), p99: round(percentile(lat, 99), 1), max: round(Math.max(...lat), 1) },
          failures: failures - f0,
          load: os.loadavg().map((x) => round(x, 2)),
        };
        windows.push(win);
        process.stdout.write(`viewers: ${phase.spec} window ${w + 1}/${WINDOWS} (data ${win.dataAgeSeconds} s old): ${win.queriesPerSecond} queries/s, prometheus ${win.prometheusCpuCores} cores (${win.prometheusCpuMsPerQuery} ms CPU a query), ${win.prometheusRssMB} MB RSS, p50 ${win.latencyMs.p50} ms, p99 ${win.latencyMs.p99} ms, ${win.failures} failed, load ${win.load.join(' ')}\n`);
      }
      running = false;
      await Promise.all(viewers);
      // Which queries the cost is in: each once, alone, with Prometheus's own query statistics.
      const costs = [];
      for (const r of requests) {
        const end = Date.now() / 1000;
        const params = r.instant
          ? new URLSearchParams({ query: r.expr, time: String(end), stats: 'all' })
          : new URLSearchParams({ query: r.expr, start: String(Math.floor((end - r.rangeS) / r.stepS) * r.stepS), end: String(Math.floor(end / r.stepS) * r.stepS), step: String(r.stepS), stats: 'all' });
        const body = await (await fetch(`${api}/api/v1/${r.instant ? 'query' : 'query_range'}`, { method: 'POST', body: params })).json();
        const st = body.data?.stats ?? {};
        costs.push({ where: r.where, instant: r.instant, stepS: r.instant ? null : r.stepS, evalMs: round((st.timings?.evalTotalTime ?? 0) * 1000, 1), samples: st.samples?.totalQueryableSamples ?? null });
      }
      costs.sort((a, b) => b.evalMs - a.evalMs);
      return {
        phase: phase.spec,
        queriesPerRefresh: requests.length,
        steps: [...new Set(requests.filter((r) => !r.instant).map((r) => r.stepS))],
        intendedQueriesPerSecond: (VIEWERS * requests.length) / REFRESH_S,
        windows,
        oneRefreshAloneEvalMs: round(costs.reduce((a, c) => a + c.evalMs, 0), 1),
        oneRefreshAloneSamples: costs.reduce((a, c) => a + (c.samples ?? 0), 0),
        costliestQueries: costs.slice(0, 8),
      };
    };

    const phases = [];
    for (const phase of PHASES) phases.push(await measure(phase));
    // An idle Prometheus (scraping, rules, no viewers) for comparison.
    const idle0 = procStat(prometheus.pid);
    await sleep(20_000);
    const idleCores = round((procStat(prometheus.pid).cpuSeconds - idle0.cpuSeconds) / 20, 2);
    for (const ph of phases) {
      const worst = ph.windows.reduce((a, b) => (b.prometheusCpuCores > a.prometheusCpuCores ? b : a));
      const worstMsPerQuery = Math.max(...ph.windows.map((w) => w.prometheusCpuMsPerQuery));
      // Idle cost (scrapes, rules) plus the queries at the rate fifteen browsers ask for.
      ph.projectedCoresAtIntendedRate = round(idleCores + (worstMsPerQuery / 1000) * ph.intendedQueriesPerSecond, 2);
      ph.verdict = `${Math.max(worst.prometheusCpuCores, ph.projectedCoresAtIntendedRate) < 1 ? 'within one core' : 'NOT within one core'} (worst window ${worst.prometheusCpuCores} cores measured, ${ph.projectedCoresAtIntendedRate} projected at ${ph.intendedQueriesPerSecond} queries/s)`;
    }
    const result = {
      members: MEMBERS,
      partitions: PARTITIONS,
      viewers: VIEWERS,
      refreshSeconds: REFRESH_S,
      samplesPerScrapeRound: seriesCount,
      prometheus: spawnVersion(),
      cpus: os.cpus().length,
      idlePrometheusCpuCores: idleCores,
      lastFailure: lastFailure || null,
      phases,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    for (const ph of phases) process.stdout.write(`viewers: ${ph.phase}: ${ph.verdict}\n`);
    writeFileSync(path.join(ROOT, 'bench/results/viewers-latest.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    if (prometheus) prometheus.kill('SIGKILL');
    for (const s of servers) s.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function spawnVersion() {
  try {
    return execFileSync('prometheus', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return null;
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`viewers: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
