// Reads our unified diffs (patches/) and applies them exactly: no fuzz, no offsets. Kept apart from
// the postinstall that uses it so a unit test can read a patch without installing anything; CommonJS
// so that the compiled (CommonJS) tests can require it.
'use strict';

/** Unified diff -> [{ file, hunks: [{ oldStart, newStart, lines: [' x', '-y', '+z'] }] }]; text before the first file is a description. */
function parsePatch(text) {
  const files = [];
  // A checkout with CRLF line ends (Git for Windows' default without .gitattributes) must read the
  // same: the sources the patch applies to come from npm with LF.
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('--- ') || !lines[i + 1]?.startsWith('+++ ')) {
      if (lines[i].startsWith('@@') && files.length) {
        const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(lines[i]);
        if (!m) throw new Error(`bad hunk header: ${lines[i]}`);
        let [oldLeft, newLeft] = [Number(m[2] ?? 1), Number(m[4] ?? 1)];
        const hunk = { oldStart: Number(m[1]), newStart: Number(m[3]), lines: [] };
        while (oldLeft > 0 || newLeft > 0) {
          const l = lines[++i];
          if (l === undefined) throw new Error(`hunk at ${m[0]} ends early`);
          if (l.startsWith('\\')) continue; // "\ No newline at end of file"
          if (l[0] === ' ' || l === '') (oldLeft--, newLeft--);
          else if (l[0] === '-') oldLeft--;
          else if (l[0] === '+') newLeft--;
          else throw new Error(`unexpected line in hunk ${m[0]}: ${l}`);
          hunk.lines.push(l === '' ? ' ' : l);
        }
        files.at(-1).hunks.push(hunk);
      }
      continue;
    }
    files.push({ file: lines[i + 1].slice(4).split('\t')[0].replace(/^b\//, ''), hunks: [] });
    i++;
  }
  return files;
}

/**
 * The file's text with every hunk applied at its exact line, or null if any hunk does not match.
 * `reverse` un-applies: it matches only a file that carries the patch.
 */
function applyHunks(text, hunks, reverse) {
  const src = text.split('\n');
  const out = [];
  let at = 0; // next source line to copy
  for (const h of hunks) {
    const from = h.lines.filter((l) => l[0] !== (reverse ? '-' : '+')).map((l) => l.slice(1));
    const to = h.lines.filter((l) => l[0] !== (reverse ? '+' : '-')).map((l) => l.slice(1));
    const line = reverse ? h.newStart : h.oldStart;
    // A hunk that only adds lines names the line it follows; any other, its first line.
    const start = from.length === 0 ? line : line - 1;
    if (start < at || src.slice(start, start + from.length).join('\n') !== from.join('\n')) return null;
    out.push(...src.slice(at, start), ...to);
    at = start + from.length;
  }
  out.push(...src.slice(at));
  return out.join('\n');
}

module.exports = { parsePatch, applyHunks };
