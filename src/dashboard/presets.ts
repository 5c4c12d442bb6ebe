/**
 * Panel presets the rows share: a stat, a time series with a series per member, an ownership
 * timeline, and the label selectors of the coordinator's view.
 */
import { type FieldConfig, type PanelSpec, type ValueMapping, memberColourOverrides, memberValueMappings, partitionMatrix, slotColourOverrides, target } from './grafana';

export const G = 'group="$group"';
/** The coordinator's view, as the group observer reports it. */
export const OBS = `job="observer", ${G}`;

/**
 * Kafka's view of members with the colour slot the observer keeps for each (label colour): the
 * expression must keep the group and member labels.
 */
export const coloured = (expr: string) => `(${expr}) * on (group, member) group_left (colour) max by (group, member, colour) (lab_group_member_colour{${OBS}})`;

/** The same, as one "NN~name" label (shown) for panels whose values are members: the slot colours, the name shows. */
export const colouredName = (expr: string, by: string) => `label_join(max by (${by}, member, colour) (${coloured(expr)}), "shown", "~", "colour", "member")`;

export function stat(title: string, description: string, targets: PanelSpec['targets'], fieldDefaults: Record<string, unknown>, extra: Partial<PanelSpec> = {}): PanelSpec {
  return {
    type: 'stat',
    title,
    description,
    w: 4,
    h: 4,
    targets,
    fieldConfig: { defaults: { unit: 'none', decimals: 0, mappings: [], ...fieldDefaults }, overrides: [] },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'value_and_name',
      wideLayout: true,
      showPercentChange: false,
    },
    ...extra,
  };
}

export const thresholds = (...steps: [string, number | null][]) => ({ mode: 'absolute', steps: steps.map(([color, value]) => ({ color, value })) });

/** A time series whose series are members, coloured by name. */
export function memberSeries(title: string, description: string, targets: PanelSpec['targets'], custom: Record<string, unknown>, defaults: Record<string, unknown> = {}, extra: Partial<PanelSpec> & { moreOverrides?: FieldConfig['overrides']; legendCalcs?: string[]; bySlot?: boolean } = {}): PanelSpec {
  const { moreOverrides = [], legendCalcs = ['lastNotNull'], bySlot = false, ...rest } = extra;
  return {
    type: 'timeseries',
    title,
    description,
    w: 12,
    h: 8,
    targets,
    fieldConfig: {
      defaults: {
        min: 0,
        color: { mode: 'fixed', fixedColor: 'text' },
        custom: { drawStyle: 'line', lineInterpolation: 'linear', lineWidth: 1, fillOpacity: 0, showPoints: 'never', spanNulls: false, stacking: { mode: 'none', group: 'A' }, axisSoftMin: 0, ...custom },
        ...defaults,
      },
      overrides: [...(bySlot ? slotColourOverrides() : memberColourOverrides()), ...moreOverrides],
    },
    options: { legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: legendCalcs }, tooltip: { mode: 'multi', sort: 'desc' } },
    ...rest,
  };
}

/** Events per query step, drawn as bars where something happened (and nothing where nothing did). */
export const BARS = { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, barAlignment: 0 };

/**
 * At most this many bars (query steps) across the time range: 10 s bars over the default 15
 * minutes, back to 2 s when zoomed to 5 minutes. At 2 s, 450 bars of one or two pixels each were
 * hard to see, and each step re-reads five minutes of samples (counted()'s lookback), which made
 * these panels a third of what fifteen viewers cost Prometheus (docs/viewers-benchmark.md). The
 * duplicates stat must use the same number, so that its steps are the bars' and they add up to it.
 */
export const EVENT_BARS_MAX_POINTS = 100;

/**
 * A timeline whose cells exist only while something is happening (a split, a move) gets an empty
 * cell for every partition at every other step. Without one, the last step that had a value is
 * the last row Grafana has, and its state timeline draws that value on to the right edge ("to now
 * (not to end of chart)" in its timeline.ts): a split or a move long over would look current.
 */
export const onEveryPartition = (expr: string) => `${expr} or on (partition) max by (partition) (lab_group_partition_owned{${OBS}})`;

export function ownershipTimeline(title: string, description: string, expr: string, valueField: string, emptyText: string, emptyColour?: string, noValue?: string, mappings?: ValueMapping[]): PanelSpec {
  return {
    type: 'state-timeline',
    title,
    description,
    w: 16,
    h: 11,
    targets: [target('A', expr, '', { table: true, interval: '2s' })],
    transformations: partitionMatrix(valueField, 128),
    fieldConfig: {
      defaults: {
        color: { mode: 'fixed', fixedColor: 'text' },
        custom: { fillOpacity: 85, lineWidth: 0, hideFrom: { legend: false, tooltip: false, viz: false } },
        mappings: mappings ?? memberValueMappings(emptyText, emptyColour),
        thresholds: thresholds(['text', null]),
        ...(noValue ? { noValue } : {}),
      },
      overrides: [],
    },
    options: {
      showValue: 'auto',
      mergeValues: true,
      alignValue: 'center',
      rowHeight: 0.85,
      // The legend lists each member in view with its colour (and "no owner" in red).
      legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
      tooltip: { mode: 'single', sort: 'none' },
    },
  };
}
