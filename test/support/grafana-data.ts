/**
 * Grafana 11.6's own panel data logic (@grafana/data, the same minor as the compose file's
 * Grafana), run in Node on query results, so tests assert what a viewer sees with Grafana's code:
 * transformations, value mappings, overrides and colour modes.
 */
import type * as GrafanaData from '@grafana/data';

type DataFrame = GrafanaData.DataFrame;

let loaded: typeof GrafanaData | null = null;

/** @grafana/data reads `window` when loaded and `navigator` when formatting (Node 20 has neither). */
export function grafanaData(): typeof GrafanaData {
  if (loaded) return loaded;
  const g = globalThis as Record<string, unknown>;
  g.window ??= globalThis;
  g.navigator ??= { language: 'en-US', languages: ['en-US'] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gd = require('@grafana/data') as typeof GrafanaData;
  const seen = new Set<string>();
  const items = Object.values(gd.standardTransformers)
    .filter((t) => !seen.has(t.id) && seen.add(t.id))
    .map((t) => ({ id: t.id, name: t.name, description: t.description ?? '', transformation: t, editor: null as never }));
  gd.standardTransformersRegistry.setInit(() => items);
  loaded = gd;
  return gd;
}

export const theme = () => grafanaData().createTheme();

/** What a panel receives after its transformations. */
export function transform(transformations: GrafanaData.DataTransformerConfig[], frames: DataFrame[]): Promise<DataFrame[]> {
  const gd = grafanaData();
  return new Promise((resolve, reject) => {
    gd.transformDataFrame(transformations, frames).subscribe({ next: resolve, error: reject });
  });
}

export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/**
 * A range query result as Grafana's Prometheus data source hands a `format: table` query to the
 * panel: one frame with Time, one column per label (sorted by name) and Value, rows series after
 * series, then sorted by time (transformDFToTable in @grafana/prometheus does this).
 */
export function tableFrame(result: PromSeries[], refId = 'A'): DataFrame {
  const gd = grafanaData();
  const labels = [...new Set(result.flatMap((s) => Object.keys(s.metric).filter((k) => k !== '__name__')))].sort();
  const rows: { t: number; labels: Record<string, string>; v: number }[] = [];
  for (const s of result) for (const [t, v] of s.values) rows.push({ t: t * 1000, labels: s.metric, v: Number(v) });
  rows.sort((a, b) => a.t - b.t); // stable: equal times keep series order
  return gd.toDataFrame({
    refId,
    fields: [
      { name: 'Time', type: gd.FieldType.time, values: rows.map((r) => r.t) },
      ...labels.map((l) => ({ name: l, type: gd.FieldType.string, values: rows.map((r) => r.labels[l] ?? '') })),
      { name: 'Value', type: gd.FieldType.number, values: rows.map((r) => r.v) },
    ],
  });
}

/** A range query result as time series frames, one per series, named by the target's legend format. */
export function seriesFrames(result: PromSeries[], legendFormat: string): DataFrame[] {
  const gd = grafanaData();
  return result.map((s) =>
    gd.toDataFrame({
      refId: 'A',
      fields: [
        { name: 'Time', type: gd.FieldType.time, values: s.values.map(([t]) => t * 1000) },
        { name: 'Value', type: gd.FieldType.number, values: s.values.map(([, v]) => Number(v)), labels: s.metric, config: { displayNameFromDS: gd.renderLegendFormat(legendFormat, s.metric) } },
      ],
    }),
  );
}

/** The text and colour (as CSS) Grafana displays for a value, from a field config's mappings. */
export function display(fieldConfig: GrafanaData.FieldConfig, value: unknown): { text: string; color: string } {
  const gd = grafanaData();
  const t = theme();
  const field = { name: 'v', type: typeof value === 'number' ? gd.FieldType.number : gd.FieldType.string, config: fieldConfig, values: [value] };
  const d = gd.getDisplayProcessor({ field, theme: t })(value);
  return { text: d.text, color: t.visualization.getColorByName(d.color ?? '') };
}

/**
 * Each series' colour as a time series or bar gauge draws it: the panel's overrides applied by
 * Grafana (only the colour property is registered; other properties do not change colours), then
 * the field's colour mode.
 */
export function seriesColours(fieldConfig: GrafanaData.FieldConfigSource, frames: DataFrame[]): Map<string, string> {
  const gd = grafanaData();
  const t = theme();
  const registry = new gd.FieldConfigOptionsRegistry(() => [
    { id: 'color', path: 'color', name: 'Color', process: gd.identityOverrideProcessor, shouldApply: () => true, override: null as never, editor: null as never },
    // Grafana registers the display name with expandTemplateVars (its standard field options).
    { id: 'displayName', path: 'displayName', name: 'Display name', process: gd.displayNameOverrideProcessor, settings: { expandTemplateVars: true }, shouldApply: () => true, override: null as never, editor: null as never },
  ]);
  const out = gd.applyFieldOverrides({ data: frames, fieldConfig, replaceVariables: fieldLabelVariables, theme: t, fieldConfigRegistry: registry });
  const colours = new Map<string, string>();
  for (const frame of out) {
    for (const field of frame.fields.filter((f) => f.type === gd.FieldType.number)) {
      colours.set(gd.getFieldDisplayName(field, frame, out), t.visualization.getColorByName(gd.getFieldSeriesColor(field, t).color));
    }
  }
  return colours;
}

/**
 * The one template Grafana's variable service expands that our overrides use: ${__field.labels.X},
 * read from the field the override is applied to (Grafana hands it over as scopedVars.__dataContext).
 */
function fieldLabelVariables(value: string, scopedVars?: GrafanaData.ScopedVars): string {
  const field = (scopedVars?.__dataContext?.value as { field?: GrafanaData.Field } | undefined)?.field;
  return value.replace(/\$\{__field\.labels\.(\w+)\}/g, (_, label: string) => field?.labels?.[label] ?? '');
}
