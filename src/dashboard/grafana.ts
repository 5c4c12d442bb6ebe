/**
 * A small typed builder for the Grafana 11.6 dashboard JSON this lab provisions: only the parts
 * we use, with the defaults every panel of the lab shares written once.
 */
import { MEMBER_PALETTE, NO_OWNER_COLOUR, slotRules } from './member-colours';

export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  editorMode: 'code';
  format?: 'table' | 'time_series';
  interval?: string;
}

export interface Matcher {
  id: 'byName' | 'byRegexp';
  options: string;
}

export interface Override {
  matcher: Matcher;
  properties: { id: string; value: unknown }[];
}

export type ValueMapping =
  | { type: 'value'; options: Record<string, MappingResult> }
  | { type: 'regex'; options: { pattern: string; result: MappingResult } }
  | { type: 'special'; options: { match: 'empty' | 'null' | 'nan'; result: MappingResult } };

export interface MappingResult {
  text?: string;
  color?: string;
  index: number;
}

export interface FieldConfig {
  defaults: Record<string, unknown> & { mappings?: ValueMapping[]; color?: Record<string, unknown>; custom?: Record<string, unknown> };
  overrides: Override[];
}

export interface Transformation {
  id: string;
  options: Record<string, unknown>;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: typeof DATASOURCE;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  transformations?: Transformation[];
  fieldConfig?: FieldConfig;
  options?: Record<string, unknown>;
  interval?: string;
  maxDataPoints?: number;
  collapsed?: boolean;
  panels?: Panel[];
}

/** A panel before layout: the builder assigns ids and grid positions in reading order. */
export type PanelSpec = Omit<Panel, 'id' | 'gridPos'> & { w: number; h: number };

export function target(refId: string, expr: string, legendFormat: string, opts: { instant?: boolean; table?: boolean; interval?: string } = {}): Target {
  const t: Target = { refId, datasource: DATASOURCE, expr, legendFormat, range: !opts.instant, instant: !!opts.instant, editorMode: 'code' };
  if (opts.table) t.format = 'table';
  if (opts.interval) t.interval = opts.interval;
  return t;
}

/** A dashboard row: its header and lines of panels, each line at most 24 columns wide. */
export interface Section {
  title: string;
  lines: PanelSpec[][];
}

/**
 * Lays out rows of panels on Grafana's 24-column grid: each section is a row header followed by
 * lines of panels whose widths add up to at most 24.
 */
export function layout(sections: Section[]): Panel[] {
  const panels: Panel[] = [];
  let id = 1;
  let y = 0;
  for (const section of sections) {
    panels.push({ id: id++, type: 'row', title: section.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    for (const line of section.lines) {
      const width = line.reduce((n, p) => n + p.w, 0);
      if (width > 24) throw new Error(`panels ${line.map((p) => p.title).join(', ')} are ${width} columns wide`);
      let x = 0;
      let height = 0;
      for (const { w, h, ...spec } of line) {
        panels.push({ id: id++, datasource: DATASOURCE, ...spec, gridPos: { h, w, x, y } } as Panel);
        x += w;
        height = Math.max(height, h);
      }
      y += height;
    }
  }
  return panels;
}

/**
 * Series colours by member name (see member-colours.ts). Overrides apply in order and the last
 * matching one wins, so the rules go in reverse of their first-match order; panel-specific
 * overrides ("produced", "total") come after these and win over them.
 */
export function memberColourOverrides(): Override[] {
  return slotRules()
    .reverse()
    .map((r) => ({ matcher: { id: 'byRegexp', options: r.pattern }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: r.colour } }] }));
}

/**
 * Value colours by member name, for panels whose values are member names (state timelines).
 * Mappings are tried in order and the first match wins; `empty` is a cell with no owner.
 */
export function memberValueMappings(emptyText: string, emptyColour: string = NO_OWNER_COLOUR): ValueMapping[] {
  const mappings: ValueMapping[] = [{ type: 'special', options: { match: 'empty', result: { text: emptyText, color: emptyColour, index: 0 } } }];
  slotRules().forEach((r, i) => mappings.push({ type: 'regex', options: { pattern: r.pattern, result: { color: r.colour, index: i + 1 } } }));
  return mappings;
}

/**
 * The transformations that turn a table of (Time, partition, member) rows into one timeline row
 * per partition, in numeric order. Grafana's "Grouping to matrix" orders columns by first
 * appearance, which is Prometheus' text order (0, 1, 10, 11, 2, ...), so an explicit field order
 * follows; partitions beyond `maxPartitions` keep their place after the listed ones.
 */
export function partitionMatrix(valueField: string, maxPartitions = 256): Transformation[] {
  const timeField = 'Time\\partition';
  const indexByName: Record<string, number> = { [timeField]: 0 };
  for (let p = 0; p < maxPartitions; p++) indexByName[String(p)] = p + 1;
  return [
    { id: 'groupingToMatrix', options: { columnField: 'partition', rowField: 'Time', valueField, emptyValue: 'empty' } },
    { id: 'convertFieldType', options: { fields: {}, conversions: [{ targetField: timeField, destinationType: 'time' }] } },
    { id: 'sortBy', options: { fields: {}, sort: [{ field: timeField, desc: false }] } },
    { id: 'organize', options: { excludeByName: {}, includeByName: {}, indexByName, renameByName: {} } },
  ];
}

/**
 * Series named "partition N" in numeric order: joined into one frame (time series keep one frame
 * per series otherwise, in Prometheus' text order), then ordered by name.
 */
export function partitionSeriesOrder(prefix: string, extra: string[] = [], maxPartitions = 256): Transformation[] {
  const indexByName: Record<string, number> = { Time: 0 };
  for (let p = 0; p < maxPartitions; p++) indexByName[`${prefix}${p}`] = p + 1;
  extra.forEach((name, i) => (indexByName[name] = maxPartitions + 1 + i));
  return [
    { id: 'joinByField', options: { byField: 'Time', mode: 'outer' } },
    { id: 'organize', options: { excludeByName: {}, includeByName: {}, indexByName, renameByName: {} } },
  ];
}

export const PALETTE_SIZE = MEMBER_PALETTE.length;
