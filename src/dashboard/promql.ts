/**
 * PromQL patterns the dashboard repeats. Each exists because the obvious query misleads in the lab.
 */

/** How far back a counter's earlier value is looked for (Prometheus' own default lookback). */
export const LOOKBACK = '5m';

/**
 * What a counter counted in the `window` ending now, its first sample included.
 *
 * `increase()` needs two samples and takes the first one as its baseline, so a series whose first
 * scrape already shows 1 (a new replica's first rebalance, a partition's first redeliveries right
 * after it was assigned) counts 0. Here a series with no earlier value counts its whole value,
 * since our counters start at 0 in a fresh process; a reset (a replica restarted under the same
 * name and address) counts its value since the reset. The earlier value is taken with
 * last_over_time over the lookback, not `x offset w`, so a replica that was paused (its series went
 * stale while it did not answer) continues where it was instead of counting everything again.
 *
 * With `window` = $__interval (Grafana sets it to the query step, pkg/promlib/models/query.go)
 * consecutive steps telescope: every increment lands in exactly one step, whatever the zoom, so
 * bars never smear an event over 60 s and a legend "sum" is the real total.
 */
export function counted(selector: string, window: string): string {
  const now = `last_over_time(${selector}[${window}])`;
  // last_over_time keeps the metric name and a subtraction drops it: "* 1" drops it in the
  // fallback too, or a series would change identity between steps (and a subquery over the steps
  // would fail with "vector cannot contain metrics with the same labelset").
  return `((${now} - last_over_time(${selector}[${LOOKBACK}] offset ${window})) >= 0 or ${now} * 1)`;
}

/**
 * Messages processed twice, per partition, in the `window` ending now (group-wide: a redelivery
 * after another member's crash counts too).
 *
 * Every message processed either moves the group's processing frontier (the highest offset any
 * replica processed, lab_consumer_processed_offset) or was processed before. So duplicates are
 * processed minus how far the frontier moved, and nothing else: lag building or draining changes
 * neither term, unlike "processed minus produced". The frontier is the maximum over the lookback,
 * so it never moves back when a new owner restarts from an older committed offset.
 * Clamped at 0 per step: a replica's last unscraped messages before a graceful leave move the
 * frontier without being counted as processed, which would otherwise subtract from real duplicates.
 * A killed replica's unscraped last seconds are invisible to everyone, so after a kill this is a
 * lower bound.
 *
 * `clampEachStep` false leaves the clamp to the caller: each replica is scraped at its own moment,
 * so in an eager hand-over the new owner's first progress can land a step before the old owner's
 * last messages. Per step that reads minus those messages, then plus them: clamped per step, a
 * hand-over with nothing processed twice would show duplicates (duplicatesPerStepPerPartition).
 */
export function duplicatesPerPartition(window: string, clampEachStep = true): string {
  const frontier = (offset: string) =>
    `max by (topic, partition) (max_over_time(lab_consumer_processed_offset[${LOOKBACK}]${offset}))`;
  const difference =
    `sum by (topic, partition) (${counted('lab_consumer_messages_processed_total', window)})` +
    ` - (${frontier('')} - ${frontier(` offset ${window}`)})`;
  return clampEachStep ? `clamp_min(${difference}, 0)` : `(${difference})`;
}

/**
 * Messages processed twice in the `step` ending now, per partition, for bars one step wide. A step
 * that reads negative (a hand-over whose old owner's last messages arrive a scrape late, a graceful
 * leave's unscraped last messages) is carried into the next step, so the late arrival of those
 * messages adds no duplicates. The stat sums these steps, so the bars add up to it.
 */
export function duplicatesPerStepPerPartition(step: string): string {
  const now = duplicatesPerPartition(step, false);
  const before = `clamp_max(sum_over_time(${now}[${step}:${step}] offset ${step}), 0)`;
  return `clamp_min((${now} + ${before}) or ${now}, 0)`;
}

