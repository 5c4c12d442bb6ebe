#!/usr/bin/env node
// Applies our fixes in patches/ to two packages with a native addon and rebuilds their addons (and,
// for a patch to the bundled librdkafka, only librdkafka's changed objects):
// - node-rdkafka: the consume(number) hand-off (README, "Our patch to node-rdkafka");
// - @confluentinc/kafka-javascript (the observer's client): a crash describing a group that the
//   broker answered with an error, and librdkafka's abort in admin requests to a group coordinator
//   that comes back after they timed out (librdkafka PR #5397).
// Runs as the root `postinstall`, so `npm ci` (developers, CI, the Dockerfile) always ends with the
// patched bindings. Idempotent: a tree that already carries a patch is left alone, and rebuilt only
// if its addon is older than the patched sources.
//
// A patch must apply exactly (no fuzz, no offsets): anything else stops the install with what to
// do. No `patch` or `git` needed, so the Docker build stage and a fresh CI machine need nothing new.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PATCHES = path.join(ROOT, 'patches');
const log = (msg) => process.stdout.write(`patch-addons: ${msg}\n`);

/** What each patch is for: what to do when the package's version changes, and which test checks it. */
const PACKAGES = [
  {
    name: 'node-rdkafka',
    addon: 'build/Release/node-librdkafka.node',
    upstream:
      `If the new version hands consume(number) batches over without building each message in C++\n` +
      `(see README, "Throughput"), delete its patch.`,
    test: 'test/integration/consume-handoff.test.ts',
  },
  {
    name: '@confluentinc/kafka-javascript',
    addon: 'build/Release/confluent-kafka-javascript.node',
    upstream:
      `If the new version no longer builds a string from a NULL partition assignor in\n` +
      `FromConsumerGroupDescription (src/common.cc), drop that hunk; if the librdkafka it bundles\n` +
      `carries librdkafka PR #5397 (rd_kafka_admin_coord_request), drop the rdkafka_admin.c hunk.`,
    test: 'test/integration/observer.test.ts ("named groups ... only just started") and test/integration/observer-outage.test.ts',
  },
];

function fail(msg) {
  process.stderr.write(`\npatch-addons: FAILED\n${msg}\n\n`);
  process.exit(1);
}

/** Unified diff -> [{ file, hunks: [{ oldStart, newStart, lines: [' x', '-y', '+z'] }] }]; text before the first file is a description. */
function parsePatch(text) {
  const files = [];
  const lines = text.split('\n');
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
function apply(text, hunks, reverse) {
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

function nodeGyp() {
  // npm sets npm_config_node_gyp for lifecycle scripts to its bundled node-gyp.
  const candidates = [process.env.npm_config_node_gyp, path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  const bundled = candidates.find((p) => p && existsSync(p));
  return bundled ? [process.execPath, bundled] : ['npx', '--yes', 'node-gyp'];
}

/** librdkafka's object files, to show how many of them the rebuild compiled again. */
function librdkafkaObjects(dir) {
  const src = path.join(dir, 'deps/librdkafka/src');
  if (!existsSync(src)) return new Map();
  return new Map(readdirSync(src).filter((f) => f.endsWith('.o')).map((f) => [f, statSync(path.join(src, f)).mtimeMs]));
}

function rebuild(pkg, dir, files) {
  const [cmd, ...args] = nodeGyp();
  const before = librdkafkaObjects(dir);
  const t0 = Date.now();
  // A patch to the bundled librdkafka's C sources: node-gyp's librdkafka action (make libs
  // install-subdirs) runs on every build and recompiles only the changed objects, but the addon is
  // not relinked against a changed static library unless it is gone.
  if (files.some((f) => f.file.startsWith('deps/librdkafka/'))) rmSync(path.join(dir, pkg.addon), { force: true });
  log(`rebuilding the ${pkg.name} addon: ${[cmd, ...args].join(' ')} build (in node_modules/${pkg.name})`);
  try {
    // The compiler's warnings about the package's own code would bury this script's lines: shown only on failure.
    execFileSync(cmd, [...args, 'build'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    fail(`node-gyp build failed in ${dir} (${err.message.split('\n')[0]}).\nThe patched sources did not compile: see the compiler output above.`);
  }
  const after = librdkafkaObjects(dir);
  const recompiled = [...after].filter(([f, t]) => before.get(f) !== t).length;
  log(`${pkg.name} addon rebuilt in ${((Date.now() - t0) / 1000).toFixed(1)} s; librdkafka objects recompiled: ${recompiled} of ${after.size}`);
}

function patchPackage(pkg) {
  const dir = path.join(ROOT, 'node_modules', pkg.name);
  if (!existsSync(path.join(dir, 'package.json'))) fail(`${dir} is missing: run npm ci first.`);
  const version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version.replace(/^v/, '');
  const prefix = `${pkg.name.replace('/', '+')}+`;
  const patches = existsSync(PATCHES) ? readdirSync(PATCHES).filter((f) => f.startsWith(prefix) && f.endsWith('.patch')) : [];
  const patchFile = `${prefix}${version}.patch`;
  if (!patches.includes(patchFile)) {
    fail(
      `node_modules/${pkg.name} is ${version}, but patches/ holds ${patches.join(', ') || `no ${pkg.name} patch`}.\n` +
        `${pkg.name}'s version changed. ${pkg.upstream}\n` +
        `Otherwise port the patch: apply the old one to the new sources by hand, rebuild, run\n` +
        `${pkg.test}, and save the diff as patches/${patchFile}.`,
    );
  }
  let files;
  try {
    files = parsePatch(readFileSync(path.join(PATCHES, patchFile), 'utf8'));
  } catch (err) {
    fail(`patches/${patchFile} is not a readable unified diff: ${err.message}`);
  }

  const writes = [];
  const states = files.map(({ file, hunks }) => {
    const target = path.join(dir, file);
    const text = existsSync(target) ? readFileSync(target, 'utf8') : null;
    if (text === null) return { file, state: 'missing' };
    const patched = apply(text, hunks, false);
    if (patched !== null) {
      writes.push([target, patched]);
      return { file, state: 'applies' };
    }
    return { file, state: apply(text, hunks, true) !== null ? 'applied' : 'differs' };
  });
  const bad = states.filter((s) => s.state === 'missing' || s.state === 'differs');
  const mixed = states.some((s) => s.state === 'applied') && states.some((s) => s.state === 'applies');
  if (bad.length || mixed) {
    fail(
      `patches/${patchFile} does not apply to node_modules/${pkg.name} ${version}:\n` +
        states.map((s) => `  ${s.file}: ${s.state === 'applies' ? 'unpatched' : s.state === 'applied' ? 'patched' : s.state === 'missing' ? 'missing' : 'neither the original nor the patched text'}`).join('\n') +
        `\nThe installed sources are not the published ${version}, or were edited. Reinstall it\n` +
        `(rm -rf node_modules/${pkg.name} && npm ci) and try again; if that fails too, the patch needs porting\n` +
        `(see the message for a version change: ${pkg.test} checks the result).`,
    );
  }

  const addon = path.join(dir, pkg.addon);
  if (writes.length) {
    for (const [target, text] of writes) writeFileSync(target, text);
    log(`applied patches/${patchFile} (${writes.length} files)`);
    rebuild(pkg, dir, files);
    return;
  }
  const newest = Math.max(...files.filter((f) => /\.(c|cc|h)$/.test(f.file)).map((f) => statSync(path.join(dir, f.file)).mtimeMs));
  if (!existsSync(addon) || statSync(addon).mtimeMs < newest) {
    log(`patches/${patchFile} is already applied, but the addon is older than the patched sources`);
    rebuild(pkg, dir, files);
  } else {
    log(`patches/${patchFile} is already applied and built; nothing to do`);
  }
}

for (const pkg of PACKAGES) patchPackage(pkg);
