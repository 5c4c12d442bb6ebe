// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function,
// self time per area (our code, prom-client, node-rdkafka, pino, express, node internals, GC),
// and inclusive time of the hot-path functions we care about.
import path from 'node:path';

const IDLE = new Set(['(idle)', '(root)']);

function area(url, fn) {
  if (!url) {
    if (fn === '(garbage collector)') return 'gc';
    if (fn === '(program)') return 'program (native, outside JS)';
    if (fn.startsWith('(')) return fn;
    return 'native/builtin';
  }
  if (url.includes('/node_modules/prom-client/')) return 'prom-client';
  if (url.includes('/node_modules/node-rdkafka/')) return 'node-rdkafka (JS)';
  if (url.includes('/node_modules/kafkajs/')) return 'kafkajs';
  if (/\/node_modules\/(pino|thread-stream|sonic-boom|on-exit-leak-free|fast-redact|quick-format-unescaped)/.test(url)) return 'pino';
  if (/\/node_modules\/(express|router|body-parser|send|finalhandler|accepts|negotiator|mime|qs|debug|depd|on-finished|type-is|content-type|etag|fresh|parseurl|path-to-regexp|vary|statuses|http-errors)/.test(url)) return 'express/http';
  if (url.includes('/dist/src/')) return 'our code (dist/src)';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/node_modules/')) return 'other node_modules';
  return 'other';
}

function label(cf) {
  const file = cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) : '';
  return `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
}

/**
 * @param profile parsed .cpuprofile
 * @param watch function names whose inclusive time to report (matched on functionName)
 */
export function analyzeProfile(profile, { top = 25, watch = [], window = null } = {}) {
  const nodes = new Map();
  for (const n of profile.nodes) nodes.set(n.id, n);
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Time attributed to each sample: the delta to the next sample (V8's convention).
  const deltas = profile.timeDeltas;
  const selfUs = new Map();
  const inclusiveUs = new Map();
  const watchSet = new Set(watch);
  let totalUs = 0;
  let idleUs = 0;
  // Only samples inside `window` ({from, to}, CLOCK_MONOTONIC microseconds) when given.
  let t = profile.startTime;
  let used = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += deltas[i];
    if (window && (t < window.from || t > window.to)) continue;
    used++;
    const dt = deltas[i + 1] ?? 0;
    const n = nodes.get(profile.samples[i]);
    totalUs += dt;
    if (IDLE.has(n.callFrame.functionName)) {
      idleUs += dt;
      continue;
    }
    selfUs.set(n.id, (selfUs.get(n.id) ?? 0) + dt);
    if (watchSet.size) {
      const seen = new Set();
      for (let id = n.id; id !== undefined; id = parent.get(id)) {
        const fn = nodes.get(id).callFrame.functionName;
        if (watchSet.has(fn) && !seen.has(fn)) {
          seen.add(fn);
          inclusiveUs.set(fn, (inclusiveUs.get(fn) ?? 0) + dt);
        }
      }
    }
  }
  const busyUs = totalUs - idleUs;
  const byFunction = new Map();
  const byArea = new Map();
  for (const [id, us] of selfUs) {
    const cf = nodes.get(id).callFrame;
    const key = label(cf);
    const a = area(cf.url, cf.functionName);
    const e = byFunction.get(key) ?? { function: key, area: a, selfMs: 0 };
    e.selfMs += us / 1000;
    byFunction.set(key, e);
    byArea.set(a, (byArea.get(a) ?? 0) + us / 1000);
  }
  const pct = (ms) => Math.round((ms / (busyUs / 1000)) * 1000) / 10;
  const r = (x) => Math.round(x * 10) / 10;
  return {
    profiledSeconds: r(totalUs / 1e6),
    busySeconds: r(busyUs / 1e6),
    idleSeconds: r(idleUs / 1e6),
    samples: used,
    topSelf: [...byFunction.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((e) => ({ ...e, selfMs: r(e.selfMs), pctOfBusy: pct(e.selfMs) })),
    byArea: [...byArea.entries()].sort((a, b) => b[1] - a[1]).map(([a, ms]) => ({ area: a, selfMs: r(ms), pctOfBusy: pct(ms) })),
    inclusive: watch.map((fn) => ({ function: fn, inclusiveMs: r((inclusiveUs.get(fn) ?? 0) / 1000), pctOfBusy: pct((inclusiveUs.get(fn) ?? 0) / 1000) })),
  };
}
