import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { counted, duplicatesPerStepPerPartition } from '../../src/dashboard/promql';
import { labDashboard } from '../../src/dashboard/lab-dashboard';
import { allPanels, concreteExpr, type Dashboard } from '../support/dashboard-queries';
import { withoutFallback } from '../support/promql-fallback';

/**
 * The dashboard's PromQL patterns evaluated by Prometheus' own engine (`promtool test rules`) on
 * synthetic series, 2 s apart like the lab's scrapes: what a panel shows in the situations the
 * workshop creates.
 */
interface Case {
  name: string;
  series: Record<string, string>;
  expr: string;
  evalTime: string;
  /** Expected value of a label-less result (a sum); null: no result at all. */
  value: number | null;
}

function promtool(cases: Case[]): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-promql-'));
  try {
    fs.writeFileSync(path.join(dir, 'none.yml'), 'groups: []\n');
    const yaml = [
      'rule_files: [none.yml]',
      'evaluation_interval: 2s',
      'tests:',
      ...cases.flatMap((c) => [
        `  - name: ${JSON.stringify(c.name)}`,
        '    interval: 2s',
        '    input_series:',
        ...Object.entries(c.series).flatMap(([s, v]) => [`      - series: ${JSON.stringify(s)}`, `        values: ${JSON.stringify(v)}`]),
        '    promql_expr_test:',
        `      - expr: ${JSON.stringify(c.expr)}`,
        `        eval_time: ${c.evalTime}`,
        c.value === null ? '        exp_samples: []' : `        exp_samples:\n          - labels: '{}'\n            value: ${c.value}`,
      ]),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'test.yml'), `${yaml}\n`);
    const r = spawnSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
    if (r.error) assert.fail(`promtool is not installed (${r.error.message}): run apt-get install -y prometheus`);
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const c1 = 'consumer="c1",instance="c1:8080",job="consumer",topic="t",partition="0"';
const c2 = 'consumer="c2",instance="c2:8080",job="consumer",topic="t",partition="0"';
const processed = (labels: string) => `lab_consumer_messages_processed_total{${labels}}`;
const frontier = (labels: string) => `lab_consumer_processed_offset{${labels}}`;
/**
 * The duplicates stat's own query from the dashboard source, over a 60 s time range with
 * $__interval = 2s, without its fallback (so an empty answer fails instead of reading 0).
 */
const duplicatesStat = (interval: string) => {
  const stat = allPanels(labDashboard() as unknown as Dashboard).find((p) => p.title.startsWith('Duplicates in the time range'));
  assert.ok(stat?.targets?.[0]?.expr, 'the dashboard has the duplicates stat');
  const stripped = withoutFallback(concreteExpr(stat.targets[0].expr, { rateInterval: '10s', interval, range: '60s' }, {}), new Map());
  assert.equal(stripped.fallback, 0, 'the stat falls back to 0');
  return stripped.expr;
};
const duplicatesIn60s = duplicatesStat('2s');

function check(cases: Case[]): void {
  const r = promtool(cases);
  assert.ok(r.ok, r.output);
}

describe('counting events from counters (Prometheus evaluates the dashboard\'s pattern)', () => {
  test('a counter whose first scrape already shows 1 counts 1 (increase() counts 0)', () => {
    const series = { 'lab_consumer_rebalance_events_total{consumer="new",type="assign"}': '_x5 1x10' };
    check([
      { name: 'counted', series, expr: `sum(${counted('lab_consumer_rebalance_events_total', '10s')})`, evalTime: '14s', value: 1 },
      { name: 'increase misses it', series, expr: 'sum(increase(lab_consumer_rebalance_events_total[10s]))', evalTime: '14s', value: 0 },
    ]);
  });

  test('per step, each increment is counted once: the steps add up to the total, no 60-second block', () => {
    // Rebalances at 10 s and 30 s; 2 s steps over a minute.
    const series = { 'lab_consumer_rebalance_events_total{consumer="c",type="assign"}': '0x4 1x9 2x20' };
    check([
      { name: 'sum of the steps', series, expr: `sum(sum_over_time((${counted('lab_consumer_rebalance_events_total', '2s')})[60s:2s]))`, evalTime: '60s', value: 2 },
      // One step after the first rebalance, nothing: the bar is 2 s wide, not 60.
      { name: 'one step later', series, expr: `sum(${counted('lab_consumer_rebalance_events_total', '2s')}) > 0`, evalTime: '14s', value: null },
    ]);
  });

  test('a paused replica continues where it was when it answers again, instead of counting everything again', () => {
    // 5 events, paused (stale) for 12 s, then one more.
    const series = { 'lab_consumer_rebalance_events_total{consumer="c",type="assign"}': '0+1x5 stale _x5 6 6' };
    check([{ name: 'after the pause', series, expr: `sum(${counted('lab_consumer_rebalance_events_total', '2s')})`, evalTime: '24s', value: 1 }]);
  });
});

describe('duplicates (Prometheus evaluates the dashboard\'s pattern)', () => {
  test('a backlog building adds no duplicates (processed minus produced would read minus hundreds)', () => {
    check([
      {
        name: 'lag grows',
        series: { [processed(c1)]: '0+10x30', [frontier(c1)]: '0+10x30', 'lab_producer_messages_total{topic="t",partition="0"}': '0+50x30' },
        expr: duplicatesIn60s,
        evalTime: '60s',
        value: 0,
      },
    ]);
  });

  test('after a kill, the messages the new owner processes again are the duplicates', () => {
    // c1 processes offsets 0-99 and is killed at 20 s; its last commit was 80. c2 takes over at
    // 30 s from 80: offsets 80-99 are processed a second time.
    check([
      {
        name: 'kill',
        series: { [processed(c1)]: '0+10x10 stale', [frontier(c1)]: '0+10x10 stale', [processed(c2)]: '_x15 10+10x15', [frontier(c2)]: '_x15 90+10x15' },
        expr: duplicatesIn60s,
        evalTime: '60s',
        value: 20,
      },
    ]);
  });

  test('an eager hand-over where the old owner\'s last scrape comes a step after the new owner\'s first adds no duplicates', () => {
    // c1 processes offsets to 100 (scraped), then to 105, and is revoked; c2 starts at 105. Scrapes
    // of different replicas have their own phase: c2's first progress (115) is in the step at 22 s,
    // c1's last 5 messages only in the step at 24 s. Per step that reads -5 then +5.
    check([
      {
        name: 'hand-over, scrapes out of order',
        series: { [processed(c1)]: '0+10x10 100 105 stale', [frontier(c1)]: '0+10x10 100 105 stale', [processed(c2)]: '_x11 10+10x10', [frontier(c2)]: '_x11 115+10x10' },
        expr: duplicatesIn60s,
        evalTime: '60s',
        value: 0,
      },
    ]);
  });

  test('the per-interval bars add up to the stat: the late arrival of a hand-over\'s last messages adds no bar, a kill\'s duplicates do', () => {
    const bars = `sum(sum_over_time((sum(${duplicatesPerStepPerPartition('2s')}))[60s:2s]))`;
    check([
      {
        name: 'bars, hand-over out of order',
        series: { [processed(c1)]: '0+10x10 100 105 stale', [frontier(c1)]: '0+10x10 100 105 stale', [processed(c2)]: '_x11 10+10x10', [frontier(c2)]: '_x11 115+10x10' },
        expr: bars,
        evalTime: '60s',
        value: 0,
      },
      {
        name: 'bars, kill',
        series: { [processed(c1)]: '0+10x10 stale', [frontier(c1)]: '0+10x10 stale', [processed(c2)]: '_x15 10+10x15', [frontier(c2)]: '_x15 90+10x15' },
        expr: bars,
        evalTime: '60s',
        value: 20,
      },
    ]);
  });

  test('a graceful leave whose last messages were never scraped adds no duplicates (and takes none away)', () => {
    // c1's last scrape saw offset 100; it went on to 110, committed and left. c2 starts at 110.
    check([
      {
        name: 'graceful',
        series: { [processed(c1)]: '0+10x10 stale', [frontier(c1)]: '0+10x10 stale', [processed(c2)]: '_x15 10+10x15', [frontier(c2)]: '_x15 120+10x15' },
        expr: duplicatesIn60s,
        evalTime: '60s',
        value: 0,
      },
    ]);
  });
});

describe('duplicates at the 10 s steps of the default 15-minute range (the stat and its bars draw at most 100 steps)', () => {
  const stat = duplicatesStat('10s');
  const bars = `sum(sum_over_time((sum(${duplicatesPerStepPerPartition('10s')}))[60s:10s]))`;
  const cases = {
    kill: { series: { [processed(c1)]: '0+10x10 stale', [frontier(c1)]: '0+10x10 stale', [processed(c2)]: '_x15 10+10x15', [frontier(c2)]: '_x15 90+10x15' }, value: 20 },
    'hand-over, scrapes out of order': { series: { [processed(c1)]: '0+10x10 100 105 stale', [frontier(c1)]: '0+10x10 100 105 stale', [processed(c2)]: '_x11 10+10x10', [frontier(c2)]: '_x11 115+10x10' }, value: 0 },
    graceful: { series: { [processed(c1)]: '0+10x10 stale', [frontier(c1)]: '0+10x10 stale', [processed(c2)]: '_x15 10+10x15', [frontier(c2)]: '_x15 120+10x15' }, value: 0 },
  };

  test('the stat and its bars count the same at 10 s as at 2 s: a kill 20, an out-of-order hand-over 0, a graceful leave 0', () => {
    check(Object.entries(cases).flatMap(([name, c]) => [
      { name: `stat, ${name}`, series: c.series, expr: stat, evalTime: '60s', value: c.value },
      { name: `bars, ${name}`, series: c.series, expr: bars, evalTime: '60s', value: c.value },
    ]));
  });
});

describe('time to drain (Prometheus evaluates the dashboard\'s stat)', () => {
  const timeToDrain = (() => {
    const stat = allPanels(labDashboard() as unknown as Dashboard).find((p) => p.title.startsWith('Time to drain'));
    assert.ok(stat?.targets?.[0]?.expr, 'the dashboard has the time-to-drain stat');
    const stripped = withoutFallback(concreteExpr(stat.targets[0].expr, { rateInterval: '10s', interval: '2s', range: '5m' }, { group: 'g' }), new Map());
    assert.equal(stripped.fallback, -1, 'the stat falls back to -1, "not draining"');
    return stripped.expr;
  })();
  const lag = 'kafka_consumergroup_group_sum_lag{job="observer",group="g",topic="t"}';

  test('a backlog built in 10 s and draining at 600 messages/s for 20 s shows its remaining seconds while it drains', () => {
    // 40 s at 0, 6000 more every 2 s to 12000, then 1200 less every 2 s: the workshop's "stop the
    // consumers, start them again". 16 s into the drain 2400 are left: 4 s at 600/s.
    const series = { [lag]: '0x20 6000 12000 10800-1200x9 0x20' };
    check([
      { name: 'draining', series, expr: timeToDrain, evalTime: '1m0s', value: 4 },
      // Steady at 0 afterwards: no value, so the stat shows its fallback, "not draining".
      { name: 'drained', series, expr: timeToDrain, evalTime: '1m40s', value: null },
    ]);
  });
});

