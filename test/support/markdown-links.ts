import fs from 'node:fs';
import path from 'node:path';

/** A relative link of a Markdown file that leads nowhere. */
export type BrokenLink = { file: string; line: number; target: string; problem: string };

/** Lines of a Markdown text outside fenced code blocks, with inline code blanked out (a link shown as code is not a link). */
function proseLines(text: string): { line: number; raw: string; text: string }[] {
  const out: { line: number; raw: string; text: string }[] = [];
  let fenced = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (!fenced) out.push({ line: i + 1, raw, text: raw.replace(/`[^`]*`/g, '``') });
  });
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces made `-`. */
export function headingAnchor(heading: string): string {
  return heading
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown text's headings define (repeated headings get -1, -2, ... as on GitHub). */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { raw } of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (!m) continue;
    const base = headingAnchor(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every relative link (and anchor) in `file` that does not resolve; web and mail links are not followed. */
export function brokenLinks(file: string, read: (p: string) => string = (p) => fs.readFileSync(p, 'utf8')): BrokenLink[] {
  const text = read(file);
  const broken: BrokenLink[] = [];
  for (const { line, text: prose } of proseLines(text)) {
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [pathPart, anchor] = target.split('#', 2);
      const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
      if (!fs.existsSync(resolved)) {
        broken.push({ file, line, target, problem: `no such file: ${resolved}` });
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md')) continue;
      const source = resolved === file ? text : read(resolved);
      if (!anchorsOf(source).has(anchor)) broken.push({ file, line, target, problem: `no heading with anchor #${anchor} in ${resolved}` });
    }
  }
  return broken;
}
