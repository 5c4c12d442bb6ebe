import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { labDashboardJson } from '../../src/dashboard/lab-dashboard';
import { MEMBER_PALETTE, memberColour, memberColourSlot } from '../../src/dashboard/member-colours';
import { display, seriesColours, seriesFrames, tableFrame, transform, type PromSeries } from '../support/grafana-data';
import {
  DASHBOARD_FILE,
  REPO_ROOT,
  allPanels,
  concreteExpr,
  dashboardQueries,
  loadDashboard,
  provisionedDatasourceUid,
  type Dashboard,
} from '../support/dashboard-queries';

describe('the provisioned Grafana dashboard', () => {
  // Parsed once here: invalid JSON fails the whole suite with the parser's message.
  const dashboard: Dashboard = loadDashboard();

  test('the provisioned JSON is exactly what src/dashboard generates (run `npm run dashboard` after a change)', () => {
    assert.ok(fs.readFileSync(DASHBOARD_FILE, 'utf8') === labDashboardJson(), `${DASHBOARD_FILE} is not what src/dashboard/lab-dashboard.ts generates: run npm run dashboard`);
  });

  test('is valid JSON with the fixed uid, title, schema and refresh', () => {
    assert.equal(dashboard.uid, 'consumer-group-lab');
    assert.equal(dashboard.title, 'Consumer group lab');
    assert.equal(dashboard.schemaVersion, 39);
    assert.deepEqual(dashboard.time, { from: 'now-15m', to: 'now' });
  });

  test('the refresh picker offers nothing below Grafana\'s default min_refresh_interval of 5 s', () => {
    const seconds = (d: string) => Number(/^(\d+)([smh])$/.exec(d)![1]) * { s: 1, m: 60, h: 3600 }[/([smh])$/.exec(d)![1] as 's' | 'm' | 'h'];
    const offered = dashboard.timepicker.refresh_intervals;
    assert.deepEqual(offered.filter((d) => seconds(d) < 5), []);
    assert.ok(offered.includes(dashboard.refresh), `the default refresh ${dashboard.refresh} is one of ${offered.join(', ')}`);
  });

  test('every panel that is not a row has a description and at least one PromQL query', () => {
    const queryless = allPanels(dashboard)
      .filter((p) => p.type !== 'row')
      .filter((p) => !(p.targets ?? []).some((t) => typeof t.expr === 'string' && t.expr.trim() !== ''));
    assert.deepEqual(queryless.map((p) => `${p.id} ${p.title}`), []);
    const undescribed = allPanels(dashboard).filter((p) => p.type !== 'row' && !p.description?.trim());
    assert.deepEqual(undescribed.map((p) => `${p.id} ${p.title}`), []);
  });

  test('every panel, query and annotation uses the provisioned Prometheus datasource uid', () => {
    const uid = provisionedDatasourceUid();
    assert.equal(uid, 'prometheus');
    const wrong: string[] = [];
    for (const p of allPanels(dashboard).filter((p) => p.type !== 'row')) {
      if (p.datasource?.uid !== uid || p.datasource?.type !== 'prometheus') wrong.push(`panel ${p.id} ${JSON.stringify(p.datasource)}`);
      for (const t of p.targets ?? []) if (t.datasource && t.datasource.uid !== uid) wrong.push(`panel ${p.id} target ${t.refId} ${JSON.stringify(t.datasource)}`);
    }
    assert.ok(dashboard.annotations.list.length > 0, 'rebalances are marked as annotations');
    for (const a of dashboard.annotations.list) {
      if (a.datasource?.uid !== uid) wrong.push(`annotation ${a.name} ${JSON.stringify(a.datasource)}`);
      if (!a.expr?.trim()) wrong.push(`annotation ${a.name} has no expr`);
    }
    assert.deepEqual(wrong, []);
  });

  test('panel ids are unique and panels do not overlap', () => {
    const panels = allPanels(dashboard);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${ids.join(',')}`);
    const placed = panels.filter((p) => p.gridPos);
    for (const [i, a] of placed.entries()) {
      const g = a.gridPos!;
      assert.ok(g.x >= 0 && g.x + g.w <= 24, `panel ${a.id} fits the 24-column grid`);
      for (const b of placed.slice(i + 1)) {
        const h = b.gridPos!;
        const overlap = g.x < h.x + h.w && h.x < g.x + g.w && g.y < h.y + h.h && h.y < g.y + g.h;
        assert.ok(!overlap, `panels ${a.id} and ${b.id} overlap`);
      }
    }
  });

  test('the dashboard provider loads the directory the dashboard is mounted in', () => {
    const provider = fs.readFileSync(path.join(REPO_ROOT, 'grafana/provisioning/dashboards/lab.yml'), 'utf8');
    assert.match(provider, /^\s*type:\s*file\s*$/m);
    assert.match(provider, /^\s*path:\s*\/var\/lib\/grafana\/dashboards\s*$/m);
    assert.ok(fs.existsSync(DASHBOARD_FILE));
  });

  test('the query list covers panels and annotations and leaves no Grafana variable behind', () => {
    const queries = dashboardQueries(dashboard);
    const targets = allPanels(dashboard).reduce((n, p) => n + (p.targets ?? []).filter((t) => t.expr).length, 0);
    assert.equal(queries.length, targets + dashboard.annotations.list.length);
    // Any $name left is a Grafana variable Prometheus would reject; label_replace's $1 is PromQL.
    const leftover = queries.filter((q) => /\$\{?[A-Za-z_]/.test(q.expr));
    assert.deepEqual(leftover.map((q) => q.where), []);
  });

  test('Grafana interval variables become concrete durations, longest names first', () => {
    assert.equal(
      concreteExpr('rate(x[$__rate_interval]) + increase(x[$__range]) + x offset $__interval + $__range_s + ${__range}'),
      'rate(x[10s]) + increase(x[5m]) + x offset 2s + 300 + 5m',
    );
    assert.equal(concreteExpr('x{group="$group"} + y{group="${group}"} + z{g="$groups"}', undefined, { group: 'g1' }), 'x{group="g1"} + y{group="g1"} + z{g="$groups"}');
    // label_replace's $1 is PromQL, not a Grafana variable.
    assert.equal(concreteExpr('label_replace(x, "a", "$1", "b", "(.+)")'), 'label_replace(x, "a", "$1", "b", "(.+)")');
  });
});

/** Members a workshop shows: our replicas 1-16, a colleague's laptop, kcat, a Java client, a host-qualified name. */
const MEMBERS = [...Array.from({ length: 16 }, (_, i) => `lab-consumer-${i + 1}`), 'alice', 'bob', 'rdkafka', 'rdkafka@laptop-7', 'consumer-lab-group-1', 'kcat'];
const RED_HUES = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max === min) return false;
  const d = max - min;
  const h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  const saturation = d / (1 - Math.abs(max + min - 1));
  // Hue within 20 degrees of pure red, and saturated: what a viewer reads as red.
  return (h * 60 < 20 || h * 60 > 340) && saturation > 0.5 && max > 0.4;
};

describe('member colours on the dashboard', () => {
  const dashboard: Dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  const memberTimelines = panels.filter((p) => p.type === 'state-timeline' && p.transformations?.some((t) => t.id === 'groupingToMatrix' && t.options.columnField === 'partition'));
  const memberSeriesPanels = panels.filter((p) => (p.type === 'timeseries' || p.type === 'bargauge') && (p.targets ?? []).some((t) => /^\{\{(member|consumer)\}\}/.test(t.legendFormat ?? '')));

  test('16 replicas get 16 different colours, none of them red', () => {
    const colours = MEMBERS.slice(0, 16).map(memberColour);
    assert.equal(new Set(colours).size, 16);
    assert.deepEqual(MEMBER_PALETTE.filter(RED_HUES), []);
    // Foreign names never take replicas 1-8's colours, the ones a workshop uses most.
    for (const name of ['alice', 'bob', 'rdkafka', 'kcat', 'rdkafka@laptop']) assert.ok(memberColourSlot(name) >= 8, name);
  });

  test('both ownership timelines colour each member by name through Grafana\'s value mappings, "no owner" in red', () => {
    assert.equal(memberTimelines.length, 2);
    for (const p of memberTimelines) {
      for (const name of MEMBERS) {
        const shown = display(p.fieldConfig!.defaults, name);
        assert.deepEqual(shown, { text: name, color: memberColour(name) }, `${p.title}: ${name}`);
      }
    }
    const owner = memberTimelines.find((p) => p.title.startsWith('Partition owner'))!;
    assert.deepEqual(display(owner.fieldConfig!.defaults, ''), { text: 'no owner', color: '#F2495C' });
    assert.equal((owner.options!.legend as { showLegend: boolean }).showLegend, true, 'the timeline legend names each colour');
  });

  test('every panel with a series per member gives it the same colour as the timelines, whatever the series order', () => {
    assert.ok(memberSeriesPanels.length >= 8, memberSeriesPanels.map((p) => p.title).join(', '));
    for (const p of memberSeriesPanels) {
      const legend = p.targets!.find((t) => /^\{\{(member|consumer)\}\}/.test(t.legendFormat ?? ''))!.legendFormat!;
      const label = /^\{\{(\w+)\}\}/.exec(legend)![1];
      // Reversed order too: a colour that came from the series position would move.
      for (const order of [MEMBERS, [...MEMBERS].reverse()]) {
        const series: PromSeries[] = order.map((name) => ({ metric: { [label]: name, type: 'assign' }, values: [[1, '1']] }));
        const colours = seriesColours(p.fieldConfig as never, seriesFrames(series, legend));
        for (const name of order) {
          const shown = [...colours].find(([n]) => n.split(' ')[0] === name);
          assert.equal(shown?.[1], memberColour(name), `${p.title}: ${name}`);
        }
      }
    }
  });
});

describe('partition order', () => {
  const dashboard: Dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  // Prometheus returns series in text order of their labels: 0, 1, 10, 11, 2, ... 9.
  const textOrder = Array.from({ length: 12 }, (_, i) => String(i)).sort();

  test('the ownership timelines show partitions 0 to 11 in numeric order, after Grafana\'s own transformations', async () => {
    const timelines = panels.filter((p) => p.type === 'state-timeline' && p.transformations?.some((t) => t.options.columnField === 'partition'));
    assert.equal(timelines.length, 2);
    for (const p of timelines) {
      const valueField = p.transformations!.find((t) => t.id === 'groupingToMatrix')!.options.valueField as string;
      const series: PromSeries[] = textOrder.map((partition) => ({ metric: { partition, [valueField]: `lab-consumer-${(Number(partition) % 3) + 1}` }, values: [[100, '1'], [102, '1']] }));
      const [frame] = await transform(p.transformations as never, [tableFrame(series)]);
      assert.deepEqual(frame.fields.slice(1).map((f) => f.name), Array.from({ length: 12 }, (_, i) => String(i)), p.title);
      assert.equal(frame.fields[0].type, 'time');
    }
  });

  test('the lag per partition legend lists partitions in numeric order, then the total', async () => {
    const p = panels.find((x) => x.title.startsWith('Lag per partition'))!;
    const frames = [
      ...seriesFrames(textOrder.map((partition) => ({ metric: { partition }, values: [[100, '5'], [102, '6']] })), 'partition {{partition}}'),
      ...seriesFrames([{ metric: {}, values: [[100, '60'], [102, '72']] }], 'total'),
    ];
    const [frame] = await transform(p.transformations as never, frames);
    const gd = (await import('../support/grafana-data')).grafanaData();
    const names = frame.fields.slice(1).map((f) => gd.getFieldDisplayName(f, frame));
    assert.deepEqual(names, [...Array.from({ length: 12 }, (_, i) => `partition ${i}`), 'total']);
  });
});

describe('queries that count events', () => {
  const queries = dashboardQueries(loadDashboard());

  test('no fixed window: events are counted per query step ($__interval) or over the time range', () => {
    // A fixed window either smears one event over its length or, wider than the step, misses
    // some; the only fixed range allowed is the lookback for a counter's earlier value ("[5m] offset").
    const fixed = queries.filter((q) => /(increase|changes|delta|last_over_time)\([^()]*\[\d+[smh]\](?! offset)/.test(q.raw));
    assert.deepEqual(fixed.map((q) => `${q.where}: ${q.raw}`), []);
  });

  test('counters are never read with increase() or rate() where a lost first sample would hide an event', () => {
    const events = /lab_consumer_(rebalance_events|redeliveries|sequence_gaps|invalid_messages)_total|lab_producer_delivery_errors_total|rebalance_pause_seconds_sum/;
    const lossy = queries.filter((q) => events.test(q.raw) && /(increase|rate)\(/.test(q.raw));
    assert.deepEqual(lossy.map((q) => q.where), []);
  });
});

describe('time, not only offsets (issue 20, docs/time.md)', () => {
  const dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  const byTitle = (start: string) => panels.find((p) => p.title.startsWith(start));

  test('lag in seconds per partition and for the group sits right under lag in messages, from the observer', () => {
    const messages = byTitle('Lag per partition (coordinator)')!;
    const seconds = byTitle('Lag in seconds per partition (coordinator)');
    assert.ok(seconds, 'a lag-in-seconds panel');
    const [at, below] = [seconds.gridPos!, messages.gridPos!];
    assert.equal(at.x, below.x);
    assert.ok(at.y > below.y && at.y <= below.y + below.h + 1, 'the next line but one at most (after its row header)');
    const exprs = (seconds.targets ?? []).map((t) => t.expr ?? '');
    assert.ok(exprs.some((e) => e.includes('kafka_consumergroup_group_lag_seconds{job="observer"')));
    assert.ok(exprs.some((e) => e.includes('kafka_consumergroup_group_max_lag_seconds{job="observer"')));
    assert.equal((seconds.fieldConfig as unknown as { defaults: { unit: string } }).defaults.unit, 's');
    assert.ok(byTitle('Group lag in seconds'), 'a stat of the group\'s lag in seconds');
  });

  test('the rebalance timeline as a table panel of the observer\'s events, and as annotations', () => {
    const table = byTitle('Rebalance timeline (coordinator)');
    assert.equal(table?.type, 'table');
    assert.match(table!.targets![0]!.expr ?? '', /lab_group_events_total\{job="observer"/);
    assert.equal(table!.targets![0]!.format, 'table');
    const annotation = (dashboard as unknown as { annotations: { list: { name: string; expr: string }[] } }).annotations.list.find((a) => a.name === 'Rebalance (coordinator)');
    assert.ok(annotation, 'an annotation for the coordinator\'s rebalances');
    assert.match(annotation.expr, /lab_group_events_total\{job="observer", group="\$group", type=~"rebalance-started\|rebalance-ended"\}/);
  });
});
