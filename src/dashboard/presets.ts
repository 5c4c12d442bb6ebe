/**
 * Panel presets the rows share: a stat, a time series with a series per member, an ownership
 * timeline, and the label selectors of the coordinator's view.
 */
import { type FieldConfig, type PanelSpec, memberColourOverrides, memberValueMappings, partitionMatrix, target } from './grafana';

export const G = 'group="$group"';
/** The coordinator's view, as the group observer reports it. */
export const OBS = `job="observer", ${G}`;

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
export function memberSeries(title: string, description: string, targets: PanelSpec['targets'], custom: Record<string, unknown>, defaults: Record<string, unknown> = {}, extra: Partial<PanelSpec> & { moreOverrides?: FieldConfig['overrides']; legendCalcs?: string[] } = {}): PanelSpec {
  const { moreOverrides = [], legendCalcs = ['lastNotNull'], ...rest } = extra;
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
      overrides: [...memberColourOverrides(), ...moreOverrides],
    },
    options: { legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: legendCalcs }, tooltip: { mode: 'multi', sort: 'desc' } },
    ...rest,
  };
}

/** Events per query step, drawn as bars where something happened (and nothing where nothing did). */
export const BARS = { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, barAlignment: 0 };

export function ownershipTimeline(title: string, description: string, expr: string, valueField: string, emptyText: string, emptyColour?: string, noValue?: string): PanelSpec {
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
        mappings: memberValueMappings(emptyText, emptyColour),
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
