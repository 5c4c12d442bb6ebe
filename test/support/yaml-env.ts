/**
 * Reads the `environment:` maps of the compose and stack files without a YAML library (the one in
 * node_modules arrives only with an optional dependency). It understands what these files use: block
 * maps by indentation, `KEY: value` scalars, `#` comments, and `<<: *anchor` merging a top-level
 * `x-...: &anchor` map. Anything else in an environment block is an error, so a check built on it
 * cannot pass by reading less than is there.
 */

interface Line {
  indent: number;
  text: string;
}

function lines(source: string): Line[] {
  return source
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
}

/** The lines inside the block that `path` names (each segment a key one level deeper). */
function blockLines(all: Line[], path: string[], file: string): Line[] {
  let from = 0;
  let to = all.length;
  let parentIndent = -1;
  for (const key of path) {
    const i = all.slice(from, to).findIndex((l) => l.indent > parentIndent && new RegExp(`^${key}:(\\s+&[\\w-]+)?$`).test(l.text));
    if (i < 0) throw new Error(`${file}: no "${path.join('.')}" block`);
    const at = from + i;
    parentIndent = all[at].indent;
    from = at + 1;
    const end = all.slice(from, to).findIndex((l) => l.indent <= parentIndent);
    to = end < 0 ? to : from + end;
  }
  return all.slice(from, to);
}

function unquote(value: string): string {
  const v = value.replace(/\s+#.*$/, '').trim();
  return /^".*"$|^'.*'$/.test(v) ? v.slice(1, -1) : v;
}

/** The map at `path` (e.g. ['services', 'kafka', 'environment']), merges resolved, in file order. */
export function environmentOf(source: string, path: string[], file = 'file'): Map<string, string> {
  const all = lines(source);
  const body = blockLines(all, path, file);
  if (body.length === 0) throw new Error(`${file}: "${path.join('.')}" is empty`);
  const childIndent = body[0].indent;
  const env = new Map<string, string>();
  for (const l of body) {
    if (l.indent !== childIndent) throw new Error(`${file}: "${path.join('.')}" holds a nested value (${l.text}), which this reader does not take`);
    const m = /^([\w.-]+|<<):\s*(.*)$/.exec(l.text);
    if (!m) throw new Error(`${file}: "${path.join('.')}" line not a KEY: value pair: ${l.text}`);
    const [, key, value] = m;
    if (key === '<<') {
      const anchor = /^\*([\w-]+)$/.exec(value)?.[1];
      const owner = anchor && all.find((x) => x.indent === 0 && new RegExp(`^[\\w-]+:\\s+&${anchor}$`).test(x.text));
      if (!owner) throw new Error(`${file}: merge of an unknown anchor ${value}`);
      for (const [k, v] of environmentOf(source, [owner.text.split(':')[0]], file)) env.set(k, v);
    } else {
      env.set(key, unquote(value));
    }
  }
  return env;
}
