import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labDashboard } from '../../src/dashboard/lab-dashboard';
import { dashboardQueries, type Dashboard } from '../support/dashboard-queries';
import { metricNames, recordingRules, withoutFallback } from '../support/promql-fallback';

describe('a panel query without its fallback', () => {
  test('the trailing `or vector(N)` goes, and a recording rule with a fallback is replaced by its expression without it', () => {
    const rules = new Map([['lab:idle:count', 'count(x == 0) or vector(0)'], ['lab:plain', 'sum(y)']]);
    assert.deepEqual(withoutFallback('(sum(a) / (-sum(deriv(a[1m])) > 0)) or vector(-1)', rules), { expr: '(sum(a) / (-sum(deriv(a[1m])) > 0))', fallback: -1, expanded: [] });
    assert.deepEqual(withoutFallback('lab:idle:count + lab:plain', rules), { expr: '(count(x == 0)) + lab:plain', fallback: null, expanded: ['lab:idle:count'] });
  });

  test('the metrics a query reads: not functions, labels, durations or keywords', () => {
    assert.deepEqual(
      metricNames('sum by (member) (rate(kafka_offset{job="o", group="g"}[5m]) * on (group, partition) group_left (member) max by (partition) (lab_owner offset 2s)) or vector(0)'),
      ['kafka_offset', 'lab_owner'],
    );
  });

  test('on the real dashboard and rules: the thirteen fallbacks are found, and the idle record is expanded', () => {
    const rules = recordingRules();
    assert.equal(rules.get('lab:consumers_idle:count'), 'count((lab_consumer_assigned_partitions == 0) and on (instance) (lab_consumer_ready == 1)) or vector(0)');
    const stripped = dashboardQueries(labDashboard() as unknown as Dashboard).map((q) => withoutFallback(q.expr, rules));
    assert.equal(stripped.filter((s) => s.fallback !== null).length, 13);
    assert.deepEqual(stripped.flatMap((s) => s.expanded), ['lab:consumers_idle:count']);
    for (const s of stripped) assert.doesNotMatch(s.expr, /vector\(/);
  });
});
