/**
 * A panel query's fallback (`... or vector(0)`) makes it answer even when the metric it reads does
 * not exist, so a misspelt name would still draw a 0. Tests evaluate queries without it, and list
 * the metrics a query reads so each can be shown to exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './dashboard-queries';

const FALLBACK = /\s+or\s+vector\((-?[\d.]+)\)\s*$/;

/** Recording rules of prometheus/rules.yml by name, read with a line scanner (no YAML parser in the tests). */
export function recordingRules(file: string = path.join(REPO_ROOT, 'prometheus/rules.yml')): Map<string, string> {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const rules = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const rec = /^\s*- record:\s*(\S+)\s*$/.exec(lines[i]);
    if (!rec) continue;
    const exprLine = /^(\s*)expr:\s*(.*)$/.exec(lines[i + 1] ?? '');
    if (!exprLine) throw new Error(`rules.yml: record ${rec[1]} is not followed by its expr`);
    if (exprLine[2].trim() !== '|') {
      rules.set(rec[1], exprLine[2].trim());
      continue;
    }
    const body: string[] = [];
    for (let j = i + 2; j < lines.length && (lines[j].trim() === '' || lines[j].search(/\S/) > exprLine[1].length); j++) body.push(lines[j].trim());
    rules.set(rec[1], body.join(' ').trim());
  }
  return rules;
}

export interface Stripped {
  /** The query without its fallback, recording rules with a fallback replaced by their expression without it. */
  expr: string;
  /** What the query answers when its data is missing; null when it has no fallback. */
  fallback: number | null;
  /** Recording rules that were expanded. */
  expanded: string[];
}

export function withoutFallback(expr: string, rules: Map<string, string> = recordingRules()): Stripped {
  const m = FALLBACK.exec(expr);
  let out = m ? expr.slice(0, m.index) : expr;
  const expanded: string[] = [];
  for (const [name, ruleExpr] of rules) {
    if (!FALLBACK.test(ruleExpr)) continue;
    const uses = new RegExp(`(?<![A-Za-z0-9_:])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_:])`, 'g');
    if (!uses.test(out)) continue;
    out = out.replace(uses, `(${ruleExpr.replace(FALLBACK, '')})`);
    expanded.push(name);
  }
  return { expr: out, fallback: m ? Number(m[1]) : null, expanded };
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** Metric names (and recording rule names) an expression reads. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = bare.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}
