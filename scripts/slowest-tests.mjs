// A node:test reporter that prints, after the run, the ten slowest tests with their file, so a
// suite that creeps towards CI's time limit shows where the time goes. Suites (describe blocks)
// and the per-file wrappers are left out: their time is their tests' time.
import path from 'node:path';

export default async function* slowestTests(source) {
  const tests = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, details } = event.data;
    if (details?.type === 'suite' || (file && nesting === 0 && path.resolve(name) === path.resolve(file))) continue;
    tests.push({ name, file: file ? path.relative(process.cwd(), file) : '?', ms: details?.duration_ms ?? 0 });
  }
  const slowest = tests.sort((a, b) => b.ms - a.ms).slice(0, 10);
  if (slowest.length === 0) return;
  yield '\nslowest tests:\n';
  for (const t of slowest) yield `  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.name}  (${t.file})\n`;
}
