import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { labDashboardJson } from '../../src/dashboard/lab-dashboard';
import { SLOT_PALETTE, memberColour, memberColourSlot, slotLabel } from '../../src/dashboard/member-colours';
import { memberColours, memberNames } from '../../src/observer/group-view';
import { metricNames, recordingRules } from '../support/promql-fallback';
import { display, seriesColours, seriesFrames, tableFrame, transform, type PromSeries } from '../support/grafana-data';
import {
  DASHBOARD_FILE,
  REPO_ROOT,
  allPanels,
  concreteExpr,
  dashboardQueries,
  grafanaStepSeconds,
  loadDashboard,
  provisionedDatasourceUid,
  type Dashboard,
  type Panel,
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

  test('every panel that is not a row or text has a description and at least one PromQL query', () => {
    const queryless = allPanels(dashboard)
      .filter((p) => p.type !== 'row' && p.type !== 'text')
      .filter((p) => !(p.targets ?? []).some((t) => typeof t.expr === 'string' && t.expr.trim() !== ''));
    assert.deepEqual(queryless.map((p) => `${p.id} ${p.title}`), []);
    const undescribed = allPanels(dashboard).filter((p) => p.type !== 'row' && !p.description?.trim());
    assert.deepEqual(undescribed.map((p) => `${p.id} ${p.title}`), []);
  });

  test('every panel, query and annotation uses the provisioned Prometheus datasource uid', () => {
    const uid = provisionedDatasourceUid();
    assert.equal(uid, 'prometheus');
    const wrong: string[] = [];
    for (const p of allPanels(dashboard).filter((p) => p.type !== 'row' && p.type !== 'text')) {
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

  test('the top of the dashboard says which lab step is which panel, naming only panels that exist', () => {
    const [guide] = dashboard.panels;
    assert.equal(guide.type, 'text');
    assert.equal(guide.gridPos!.y, 0);
    const content = (guide.options as { content: string }).content;
    for (const step of ['1.', '2-3.', '4.', 'Question 1', 'Question 2']) assert.ok(content.includes(`| ${step}`), step);
    const named = [...content.matchAll(/(?<!\*)\*([^*|]+)\*(?!\*)/g)].map((m) => m[1].trim());
    assert.ok(named.length >= 10, named.join(', '));
    const titles = allPanels(dashboard).map((p) => p.title);
    const missing = named.filter((n) => !titles.some((t) => t.startsWith(n) || t.includes(`${n}:`) || t.startsWith(`${n},`)));
    assert.deepEqual(missing, []);
  });

  test('Kafka\'s view and our consumers\' own report are named so on every panel; diagnostics are folded, at the bottom', () => {
    const texts = [...allPanels(dashboard).map((p) => p.title), ...allPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.legendFormat ?? '')), ...dashboard.annotations.list.map((a) => a.name)];
    assert.deepEqual(texts.filter((t) => /\(coordinator|our replicas|per replica/.test(t)), []);
    assert.ok(allPanels(dashboard).filter((p) => /Kafka's view \(every client\)/.test(p.title)).length >= 6);
    assert.ok(allPanels(dashboard).filter((p) => /our consumers' own report/i.test(p.title)).length >= 3);
    const last = dashboard.panels.at(-1)!;
    assert.equal(last.type, 'row');
    assert.match(last.title, /^Diagnostics/);
    assert.equal(last.collapsed, true);
    assert.ok((last.panels ?? []).length >= 4, 'the folded row holds its panels');
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

/**
 * A workshop's members as Kafka lists them, in joining order: names without a number, Java's
 * default client id on two laptops, two kcats (one client id), then our replicas.
 */
const WORKSHOP_NAMES = [
  'alice', 'bob', 'anna', 'ben', 'carol', 'chen', 'dave', 'dmitri', 'eve', 'fatima',
  'consumer-lab-group-1', 'consumer-lab-group-1', 'rdkafka', 'rdkafka', 'python-laptop', 'go-client',
  'lab-consumer-1', 'lab-consumer-2', 'lab-consumer-3', 'lab-consumer-4',
];
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
  const timelines = panels.filter((p) => p.type === 'state-timeline' && p.transformations?.some((t) => t.id === 'groupingToMatrix' && t.options.columnField === 'partition'));
  const valueField = (p: Panel) => p.transformations!.find((t) => t.id === 'groupingToMatrix')!.options.valueField as string;
  // Kafka's view: the observer's colour slot travels with the member ("07~alice").
  const kafkaTimelines = timelines.filter((p) => valueField(p) === 'shown');
  const replicaTimelines = timelines.filter((p) => valueField(p) === 'consumer');
  const legendOf = (p: Panel) => (p.targets ?? []).find((t) => /^\{\{(member|consumer|colour)\}\}/.test(t.legendFormat ?? ''))?.legendFormat;
  const slotSeriesPanels = panels.filter((p) => legendOf(p)?.startsWith('{{colour}}~{{member}}'));
  const nameSeriesPanels = panels.filter((p) => (p.type === 'timeseries' || p.type === 'bargauge') && /^\{\{(member|consumer)\}\}/.test(legendOf(p) ?? ''));

  /** What the observer hands out for a workshop's members, joining in this order (its own code). */
  function observerColours(names: string[]): Map<string, string> {
    const members = names.map((n, i) => ({ memberId: `m${i}`, clientId: n, clientHost: `/10.0.0.${i}` }));
    const named = memberNames(members);
    const slots = memberColours(named);
    return new Map(members.map((m) => [named.get(m.memberId)!, slotLabel(slots.get(m.memberId)!)]));
  }
  const WORKSHOP = observerColours(WORKSHOP_NAMES);

  test('16 replicas get 16 different colours by name, none of them red', () => {
    const colours = MEMBERS.slice(0, 16).map(memberColour);
    assert.equal(new Set(colours).size, 16);
    assert.deepEqual(SLOT_PALETTE.filter(RED_HUES), []);
    assert.equal(new Set(SLOT_PALETTE).size, SLOT_PALETTE.length);
    // Foreign names never take replicas 1-8's colours, the ones a workshop uses most.
    for (const name of ['alice', 'bob', 'rdkafka', 'kcat', 'rdkafka@laptop']) assert.ok(memberColourSlot(name) >= 8, name);
  });

  test(`Kafka's ownership timeline shows ${WORKSHOP_NAMES.length} arbitrary members by name in ${WORKSHOP_NAMES.length} different colours, through Grafana's value mappings; "no owner" in red, "not moving" transparent`, () => {
    // The owners' timeline and the KIP-848 moves' timeline: a member has the same colour on both.
    assert.deepEqual(kafkaTimelines.map((p) => p.title.split(':')[0]), ["Partition owner, Kafka's view (every client)", 'Moving partitions (KIP-848 groups)']);
    for (const p of kafkaTimelines) {
      const seen = new Set<string>();
      for (const [name, slot] of WORKSHOP) {
        const shown = display(p.fieldConfig!.defaults as never, `${slot}~${name}`);
        assert.equal(shown.text, name);
        assert.equal(shown.color, SLOT_PALETTE[Number(slot)], name);
        seen.add(shown.color);
      }
      assert.equal(seen.size, WORKSHOP.size);
      assert.equal((p.options!.legend as { showLegend: boolean }).showLegend, true, 'the timeline legend names each colour');
    }
    // An empty cell: a partition nobody owns is an alarm; a partition not moving is the normal state.
    assert.deepEqual(display(kafkaTimelines[0].fieldConfig!.defaults as never, ''), { text: 'no owner', color: '#F2495C' });
    assert.deepEqual(display(kafkaTimelines[1].fieldConfig!.defaults as never, ''), { text: 'not moving', color: 'rgba(0,0,0,0)' });
  });

  test('lab-consumer-N looks the same in Kafka\'s view and in our consumers\' own report (split view, per-consumer panels)', () => {
    for (let n = 1; n <= 16; n++) assert.equal(SLOT_PALETTE[Number(WORKSHOP.get(`lab-consumer-${n}`) ?? slotLabel(n - 1))], memberColour(`lab-consumer-${n}`));
    assert.equal(replicaTimelines.length, 1);
    for (const name of MEMBERS) assert.deepEqual(display(replicaTimelines[0].fieldConfig!.defaults as never, name), { text: name, color: memberColour(name) }, name);
  });

  test(`every panel of Kafka's view with a series per member shows each of ${WORKSHOP_NAMES.length} members by its name alone, in its own colour, whatever the series order`, () => {
    assert.ok(slotSeriesPanels.length >= 3, slotSeriesPanels.map((p) => p.title).join(', '));
    for (const p of slotSeriesPanels) {
      for (const order of [[...WORKSHOP], [...WORKSHOP].reverse()]) {
        const series: PromSeries[] = order.map(([member, colour]) => ({ metric: { member, colour }, values: [[1, '1']] }));
        const colours = seriesColours(p.fieldConfig as never, seriesFrames(series, legendOf(p)!));
        for (const [name, slot] of order) assert.equal(colours.get(name), SLOT_PALETTE[Number(slot)], `${p.title}: ${name}`);
        assert.equal(new Set(colours.values()).size, WORKSHOP.size, p.title);
      }
    }
  });

  test('every panel of our consumers\' own report with a series per consumer colours it by name, whatever the series order', () => {
    assert.ok(nameSeriesPanels.length >= 5, nameSeriesPanels.map((p) => p.title).join(', '));
    for (const p of nameSeriesPanels) {
      const legend = legendOf(p)!;
      const label = /^\{\{(\w+)\}\}/.exec(legend)![1];
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

  test('the member table lists each member once with its name in its colour, client id, host, partitions, lag and joined-at, after Grafana\'s merge', async () => {
    const table = panels.find((p) => p.type === 'table' && p.title.startsWith('Members'))!;
    const byRef = (refId: string, rows: PromSeries[]) => {
      const frame = tableFrame(rows, refId);
      // Grafana's Prometheus data source names the value column per query when a panel has several.
      frame.fields.find((f) => f.name === 'Value')!.name = `Value #${refId}`;
      return frame;
    };
    const names = [...WORKSHOP];
    const at = 1_700_000_000;
    const frames = [
      byRef('A', names.map(([member, colour], i) => ({ metric: { member, colour, shown: `${colour}~${member}`, client_id: member.split('@')[0], client_host: `10.0.0.${i}` }, values: [[at, '1']] }))),
      // Each query evaluated a moment apart, as the test's Prometheus may: rows still merge by member.
      byRef('B', names.map(([member], i) => ({ metric: { member }, values: [[at + 1, String(i % 3)]] }))),
      byRef('C', names.map(([member], i) => ({ metric: { member }, values: [[at + 2, String(10 * i)]] }))),
      byRef('D', names.map(([member], i) => ({ metric: { member }, values: [[at + 3, String((at - 60 * i) * 1000)]] }))),
    ];
    const [frame] = await transform(table.transformations as never, frames);
    const gd = (await import('../support/grafana-data')).grafanaData();
    assert.deepEqual(frame.fields.map((f) => gd.getFieldDisplayName(f, frame)), ['member', 'client id', 'host', 'partitions', 'lag', 'joined at']);
    assert.equal(frame.length, names.length, 'one row per member');
    const col = (n: string) => frame.fields.find((f) => gd.getFieldDisplayName(f, frame) === n)!;
    const memberOverride = table.fieldConfig!.overrides.find((o) => o.matcher.options === 'member')!;
    const mappings = memberOverride.properties.find((x) => x.id === 'mappings')!.value;
    const seen = new Set<string>();
    for (let row = 0; row < frame.length; row++) {
      const i = names.findIndex(([, colour]) => col('member').values[row].startsWith(`${colour}~`));
      const [name, slot] = names[i];
      const shown = display({ mappings } as never, col('member').values[row]);
      assert.deepEqual(shown, { text: name, color: SLOT_PALETTE[Number(slot)] });
      seen.add(shown.color);
      assert.deepEqual([col('host').values[row], col('partitions').values[row], col('lag').values[row], col('joined at').values[row]], [`10.0.0.${i}`, i % 3, 10 * i, (at - 60 * i) * 1000], name);
    }
    assert.equal(seen.size, names.length);
  });
});

describe('partition order', () => {
  const dashboard: Dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  // Prometheus returns series in text order of their labels: 0, 1, 10, 11, 2, ... 9.
  const textOrder = Array.from({ length: 12 }, (_, i) => String(i)).sort();

  test('the ownership and leader timelines show partitions 0 to 11 in numeric order, after Grafana\'s own transformations', async () => {
    const timelines = panels.filter((p) => p.type === 'state-timeline' && p.transformations?.some((t) => t.options.columnField === 'partition'));
    assert.equal(timelines.length, 4);
    for (const p of timelines) {
      const valueField = p.transformations!.find((t) => t.id === 'groupingToMatrix')!.options.valueField as string;
      // The leader timeline's value is the query's value (a broker id), the others' a label.
      const label = (partition: string) => (valueField === 'Value' ? {} : { [valueField]: `lab-consumer-${(Number(partition) % 3) + 1}` });
      const series: PromSeries[] = textOrder.map((partition) => ({ metric: { partition, ...label(partition) }, values: [[100, '1'], [102, '1']] }));
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

describe('a room of viewers: what each refresh asks of Prometheus (docs/viewers-benchmark.md)', () => {
  const dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  const byTitle = (start: string) => {
    const found = panels.filter((p) => p.title.startsWith(start));
    assert.equal(found.length, 1, `one panel titled "${start}..."`);
    return found[0];
  };
  const RANGES = { '5m': 300, '15m': 900, '1h': 3600, '6h': 21600 };

  test('the duplicates stat counts per step of its bars at every time range, so the bars add up to it; 10 s bars over the default 15 minutes', () => {
    const stat = byTitle('Duplicates in the time range');
    const bars = byTitle('Duplicates, redeliveries and gaps per interval');
    for (const [name, seconds] of Object.entries(RANGES)) {
      assert.equal(grafanaStepSeconds(seconds, stat, stat.targets![0]), grafanaStepSeconds(seconds, bars, bars.targets![0]), `over ${name}`);
    }
    assert.equal(grafanaStepSeconds(900, bars, bars.targets![0]), 10);
    // Zoomed in to the last 5 minutes, the bars are as fine as the scrapes again.
    assert.equal(grafanaStepSeconds(300, bars, bars.targets![0]), 2);
  });

  test('every bar panel draws at most 100 bars over the default range; timelines, member counts and lag keep the 2 s scrape step', () => {
    const range = 900;
    const barPanels = panels.filter((p) => (p.fieldConfig?.defaults.custom as { drawStyle?: string } | undefined)?.drawStyle === 'bars');
    assert.ok(barPanels.length >= 3, `bar panels: ${barPanels.map((p) => p.title).join(', ')}`);
    for (const p of barPanels) for (const t of p.targets ?? []) assert.ok(range / grafanaStepSeconds(range, p, t) <= 100, `${p.title} ${t.refId}`);
    for (const title of ["Partition owner, Kafka's view", 'Partitions per member over time', 'Group state over time', 'Leader per partition over time', 'Group coordinator over time', "Lag per partition, Kafka's view", 'Lag in seconds per partition', 'Split view', 'Messages per second']) {
      const p = byTitle(title);
      for (const t of p.targets ?? []) assert.equal(grafanaStepSeconds(range, p, t), 2, `${title} ${t.refId}`);
    }
  });

  test('no panel computes a quantile from raw histogram buckets: the latency panels read series recorded in prometheus/rules.yml', () => {
    const rules = recordingRules();
    const queries = dashboardQueries(dashboard);
    assert.deepEqual(queries.filter((q) => /histogram_quantile|_bucket\b/.test(q.raw)).map((q) => q.where), []);
    for (const title of ['Processing time per message', 'End-to-end latency']) {
      for (const t of byTitle(title).targets!) {
        const names = metricNames(t.expr!);
        assert.ok(names.length > 0 && names.every((n) => rules.has(n) && /histogram_quantile\(/.test(rules.get(n)!)), `${title} ${t.refId}: ${names.join(', ')}`);
      }
    }
  });
});

describe('time, not only offsets (issue 20, docs/time.md)', () => {
  const dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  const byTitle = (start: string) => panels.find((p) => p.title.startsWith(start));

  test('lag in seconds per partition and for the group sits right under lag in messages, from the observer', () => {
    const messages = byTitle("Lag per partition, Kafka's view")!;
    const seconds = byTitle("Lag in seconds per partition, Kafka's view");
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
    const table = byTitle("Rebalance timeline, Kafka's view");
    assert.equal(table?.type, 'table');
    assert.match(table!.targets![0]!.expr ?? '', /lab_group_events_total\{job="observer"/);
    assert.equal(table!.targets![0]!.format, 'table');
    const annotation = (dashboard as unknown as { annotations: { list: { name: string; expr: string }[] } }).annotations.list.find((a) => a.name === "Rebalance (Kafka's view)");
    assert.ok(annotation, 'an annotation for the coordinator\'s rebalances');
    assert.match(annotation.expr, /lab_group_events_total\{job="observer", group="\$group", type=~"rebalance-started\|rebalance-ended"\}/);
  });
});
