import fs from 'node:fs';
import path from 'node:path';

/** Repository root, from the compiled location dist/test/support. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const DASHBOARD_FILE = path.join(REPO_ROOT, 'grafana/dashboards/consumer-group-lab.json');
export const DATASOURCE_FILE = path.join(REPO_ROOT, 'grafana/provisioning/datasources/prometheus.yml');

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  format?: string;
  instant?: boolean;
  datasource?: DatasourceRef;
  /** The query's minimum step ("Min step" in Grafana's Prometheus query editor). */
  interval?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: DatasourceRef;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  transformations?: { id: string; options: Record<string, unknown> }[];
  fieldConfig?: { defaults: Record<string, unknown>; overrides: { matcher: { id: string; options: unknown }; properties: { id: string; value: unknown }[] }[] };
  options?: Record<string, unknown>;
  collapsed?: boolean;
  /** At most this many steps over the time range; Grafana's default is the panel's width in pixels. */
  maxDataPoints?: number;
  /** Only rows have nested panels, and only when collapsed. */
  panels?: Panel[];
}

/** Grafana's rounding of range / max data points to a readable interval (kbn.roundInterval), in seconds. */
function roundInterval(seconds: number): number {
  const buckets: [number, number][] = [
    [0.015, 0.01], [0.035, 0.02], [0.075, 0.05], [0.15, 0.1], [0.35, 0.2], [0.75, 0.5], [1.5, 1], [3.5, 2], [7.5, 5], [12.5, 10], [17.5, 15], [25, 20], [45, 30],
    [90, 60], [210, 120], [450, 300], [750, 600], [1050, 900], [1500, 1200], [2700, 1800], [5400, 3600],
  ];
  for (const [below, rounded] of buckets) if (seconds < below) return rounded;
  return 7200;
}

/** The dashboard's screen: a full-width panel on a 1,600 px wide browser window is about 1,500 px. */
export const SCREEN_PX = 1500;

/**
 * The step (and $__interval) Grafana gives a panel's query over `rangeSeconds`: the range over the
 * panel's max data points (its width in pixels unless set), rounded, never below the query's
 * minimum step or the datasource's scrape interval (its timeInterval).
 */
export function grafanaStepSeconds(rangeSeconds: number, panel: Panel | undefined, target: Target | undefined, scrapeSeconds = 2, screenPx = SCREEN_PX): number {
  const widthPx = panel?.gridPos ? (panel.gridPos.w / 24) * screenPx : screenPx;
  const minS = target?.interval ? durationSeconds(target.interval) : scrapeSeconds;
  return Math.max(roundInterval(rangeSeconds / (panel?.maxDataPoints ?? widthPx)), minS, scrapeSeconds);
}

export interface Annotation {
  name: string;
  datasource?: DatasourceRef;
  expr?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  refresh: string;
  timepicker: { refresh_intervals: string[] };
  time: { from: string; to: string };
  panels: Panel[];
  annotations: { list: Annotation[] };
}

export function loadDashboard(file: string = DASHBOARD_FILE): Dashboard {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included, in dashboard order. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * What Grafana substitutes for its built-in interval variables when the query runs. The values
 * fit the lab: a 2 s scrape interval, $__rate_interval at least four scrapes plus one, and a
 * time range long enough to hold a test run.
 */
export interface GrafanaDurations {
  rateInterval: string;
  interval: string;
  range: string;
}

export const TEST_DURATIONS: GrafanaDurations = { rateInterval: '10s', interval: '2s', range: '5m' };

/** Dashboard variables: the consumer group the panels show. */
export type DashboardVariables = Record<string, string>;
export const TEST_VARIABLES: DashboardVariables = { group: 'lab-group' };

/** A PromQL expression as Prometheus receives it from Grafana. Longest names first: $__range_s before $__range. */
export function concreteExpr(expr: string, d: GrafanaDurations = TEST_DURATIONS, vars: DashboardVariables = TEST_VARIABLES): string {
  const rangeSeconds = String(durationSeconds(d.range));
  let out = expr
    .replace(/\$\{?__rate_interval\}?/g, d.rateInterval)
    .replace(/\$\{?__interval_ms\}?/g, String(durationSeconds(d.interval) * 1000))
    .replace(/\$\{?__interval\}?/g, d.interval)
    .replace(/\$\{?__range_s\}?/g, rangeSeconds)
    .replace(/\$\{?__range_ms\}?/g, String(Number(rangeSeconds) * 1000))
    .replace(/\$\{?__range\}?/g, d.range);
  for (const [name, value] of Object.entries(vars)) out = out.replace(new RegExp(`\\$\\{?${name}\\}?(?![A-Za-z0-9_])`, 'g'), value);
  return out;
}

export function durationSeconds(d: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}

export interface DashboardQuery {
  /** Where the query sits, for failure messages: `panel 8 "Partition ownership" A`. */
  where: string;
  /** As written in the dashboard. */
  raw: string;
  /** With Grafana's interval variables replaced by concrete durations. */
  expr: string;
  /** Run as an instant query (stat panels "now"); otherwise as a range query, as Grafana does for graphs and annotations. */
  instant: boolean;
  panel?: Panel;
  target?: Target;
}

/** Every PromQL expression of the dashboard: each panel target, then each annotation. */
export function dashboardQueries(dashboard: Dashboard = loadDashboard(), d: GrafanaDurations = TEST_DURATIONS, vars: DashboardVariables = TEST_VARIABLES): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const panel of allPanels(dashboard)) {
    for (const t of panel.targets ?? []) {
      if (t.expr) queries.push({ where: `panel ${panel.id} "${panel.title}" ${t.refId ?? ''}`.trim(), raw: t.expr, expr: concreteExpr(t.expr, d, vars), instant: !!t.instant, panel, target: t });
    }
  }
  for (const a of dashboard.annotations.list) {
    if (a.expr) queries.push({ where: `annotation "${a.name}"`, raw: a.expr, expr: concreteExpr(a.expr, d, vars), instant: false });
  }
  return queries;
}

/** The uid in the datasource provisioning YAML, read with a regex so the tests need no YAML parser. */
export function provisionedDatasourceUid(file: string = DATASOURCE_FILE): string {
  const m = /^\s*uid:\s*['"]?([A-Za-z0-9_-]+)['"]?\s*$/m.exec(fs.readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no uid in ${file}`);
  return m[1];
}
