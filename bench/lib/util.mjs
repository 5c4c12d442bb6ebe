// Small helpers shared by the throughput benchmark: timing, statistics, HTTP scrapes, RSS samples.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const now = () => performance.now();
// performance.now() in CLOCK_MONOTONIC microseconds, the clock of V8's .cpuprofile timestamps.
const monoOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
export const toMonoUs = (perfMs) => monoOffsetUs + perfMs * 1000;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function percentile(xs, p) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

// One keep-alive connection, so a timed scrape measures the consumer's answer, not a TCP handshake.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET http://127.0.0.1:port/path; resolves {status, body, ms} (round trip seen from here). */
export function httpGet(port, path, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: now() - t0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

/** Sum of every sample of one metric in Prometheus text (all label sets), or null if absent. */
export function metricSum(text, name) {
  let sum = null;
  let from = 0;
  for (;;) {
    const i = text.indexOf(name, from);
    if (i < 0) break;
    from = i + name.length;
    if (i > 0 && text[i - 1] !== '\n') continue;
    const next = text[i + name.length];
    if (next !== '{' && next !== ' ') continue;
    const eol = text.indexOf('\n', i);
    const line = text.slice(i, eol < 0 ? undefined : eol);
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** Number of samples (lines that are not comments) in Prometheus text. */
export function sampleCount(text) {
  let n = 0;
  for (const line of text.split('\n')) if (line && line[0] !== '#') n++;
  return n;
}

export function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process has used so far (user + system, all its threads), from /proc. On a shared
 * machine the CPU a run costs moves far less with other load than its rate does.
 */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** Samples a process's resident memory every `everyMs`; summary() limits to a time window. */
export function rssSampler(pid, everyMs = 100) {
  const samples = [];
  const take = () => {
    const kb = rssKb(pid);
    if (kb !== null) samples.push([now(), kb]);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => clearInterval(timer),
    summary(from = -Infinity, to = Infinity) {
      const inWindow = samples.filter(([t]) => t >= from && t <= to).map(([, kb]) => kb / 1024);
      const all = samples.map(([, kb]) => kb / 1024);
      const use = inWindow.length > 0 ? inWindow : all;
      return { peakMB: use.length ? Math.max(...use) : null, medianMB: median(use), samples: use.length, peakWholeRunMB: all.length ? Math.max(...all) : null };
    },
  };
}

export function round(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Waits for a child process to exit; SIGKILLs it after `graceMs`. Only ever signals that pid. */
export async function stopChild(child, signal = 'SIGTERM', graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Collects a child's output lines (keeps the last `keep`) and hands each to `onLine`. */
export function lineReader(stream, onLine, keep = 40) {
  const tail = [];
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      tail.push(line);
      if (tail.length > keep) tail.shift();
      if (onLine) onLine(line);
    }
  });
  return tail;
}
