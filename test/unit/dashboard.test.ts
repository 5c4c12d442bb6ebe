import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
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

  test('is valid JSON with the fixed uid, title, schema and refresh', () => {
    assert.equal(dashboard.uid, 'consumer-group-lab');
    assert.equal(dashboard.title, 'Consumer group lab');
    assert.equal(dashboard.schemaVersion, 39);
    assert.match(dashboard.refresh, /^(2s|5s)$/);
    assert.deepEqual(dashboard.time, { from: 'now-15m', to: 'now' });
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
    const leftover = queries.filter((q) => /\$\{?__/.test(q.expr));
    assert.deepEqual(leftover.map((q) => q.where), []);
  });

  test('Grafana interval variables become concrete durations, longest names first', () => {
    assert.equal(
      concreteExpr('rate(x[$__rate_interval]) + increase(x[$__range]) + x offset $__interval + $__range_s + ${__range}'),
      'rate(x[10s]) + increase(x[5m]) + x offset 2s + 300 + 5m',
    );
    // label_replace's $1 is PromQL, not a Grafana variable.
    assert.equal(concreteExpr('label_replace(x, "a", "$1", "b", "(.+)")'), 'label_replace(x, "a", "$1", "b", "(.+)")');
  });
});
