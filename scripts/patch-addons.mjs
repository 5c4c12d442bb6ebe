#!/usr/bin/env node
// Applies our fixes in patches/ to two packages with a native addon and rebuilds what they touch
// (the addons, and for a patch to the bundled librdkafka only librdkafka's changed objects):
// - node-rdkafka: the consume(number) hand-off (docs/patches.md);
// - @confluentinc/kafka-javascript (the observer's client): a crash describing a group that the
//   broker answered with an error, and librdkafka's abort in admin requests to a group coordinator
//   that comes back after they timed out (librdkafka PR #5397).
// Runs as the root `postinstall`, so `npm ci` (developers, CI, the Dockerfile) always ends with the
// patched bindings. Idempotent: a tree that already carries a patch is left alone, and rebuilt only
// if its addon is older than the patched sources. A package that node-gyp did not configure here
// (a prebuilt binary was downloaded, or npm skipped its install script) is compiled in full from
// the patched sources: a prebuilt binary never carries our fixes. The observer's client is an
// optional dependency (`npm ci --omit=optional` installs the consumer alone) and skipped if absent.
//
// A patch must apply exactly (no fuzz, no offsets): anything else stops the install with what to
// do. No `patch` or `git` needed, so the Docker build stage and a fresh CI machine need nothing new.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import patchFile from './patch-file.cjs';

const { applyHunks, parsePatch } = patchFile;
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
      `(see docs/benchmarks.md, "Throughput"), delete its patch.`,
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
    optional: true,
    without: 'the consumer and the load generator do not need it, the observer does',
  },
];

function fail(msg) {
  process.stderr.write(`\npatch-addons: FAILED\n${msg}\n\n`);
  process.exit(1);
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

/**
 * Whether node-gyp configured this tree here. Only then can `node-gyp build` recompile just what a
 * patch touched. A tree holding a downloaded prebuilt binary (node-pre-gyp, on any machine that
 * reaches GitHub) or whose install script npm skipped (allowScripts) was never configured.
 */
const configured = (dir) => existsSync(path.join(dir, 'build', 'config.gypi'));

function rebuild(pkg, dir, files, full) {
  const [cmd, ...args] = nodeGyp();
  const before = librdkafkaObjects(dir);
  const t0 = Date.now();
  const verb = full ? 'rebuild' : 'build';
  // A patch to the bundled librdkafka's C sources: node-gyp's librdkafka action (make libs
  // install-subdirs) runs on every build and recompiles only the changed objects, but the addon is
  // not relinked against a changed static library unless it is gone.
  if (!full && files.some((f) => f.file.startsWith('deps/librdkafka/'))) rmSync(path.join(dir, pkg.addon), { force: true });
  log(
    full
      ? `compiling node_modules/${pkg.name} from its patched sources, librdkafka included (minutes): it was not built here ` +
          `(a prebuilt binary cannot carry our patch, or npm skipped its install script): ${[cmd, ...args].join(' ')} rebuild`
      : `rebuilding the ${pkg.name} addon: ${[cmd, ...args].join(' ')} build (in node_modules/${pkg.name})`,
  );
  try {
    // The compiler's warnings about the package's own code would bury this script's lines: shown only on failure.
    execFileSync(cmd, [...args, verb], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    fail(
      `node-gyp ${verb} failed in ${dir} (${err.message.split('\n')[0]}).\nThe patched sources did not compile: see the compiler output above.` +
        (pkg.optional ? `\nTo install without ${pkg.name} (${pkg.without}): npm ci --omit=optional` : ''),
    );
  }
  const after = librdkafkaObjects(dir);
  const recompiled = [...after].filter(([f, t]) => before.get(f) !== t).length;
  log(`${pkg.name} ${full ? 'compiled' : 'addon rebuilt'} in ${((Date.now() - t0) / 1000).toFixed(1)} s; librdkafka objects compiled: ${recompiled} of ${after.size}`);
}

function patchPackage(pkg) {
  const dir = path.join(ROOT, 'node_modules', pkg.name);
  if (!existsSync(path.join(dir, 'package.json'))) {
    if (!pkg.optional) fail(`${dir} is missing: run npm ci first.`);
    // npm also drops an optional package whose own install script failed (npm 10 runs it), silently.
    log(`${pkg.name} is not installed (left out by npm ci --omit=optional, or dropped by npm because its install script failed): skipped; ${pkg.without}`);
    return;
  }
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
    const patched = applyHunks(text, hunks, false);
    if (patched !== null) {
      writes.push([target, patched]);
      return { file, state: 'applies' };
    }
    return { file, state: applyHunks(text, hunks, true) !== null ? 'applied' : 'differs' };
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
  }
  if (!configured(dir)) {
    rebuild(pkg, dir, files, true);
    return;
  }
  if (writes.length) {
    rebuild(pkg, dir, files, false);
    return;
  }
  const newest = Math.max(...files.filter((f) => /\.(c|cc|h)$/.test(f.file)).map((f) => statSync(path.join(dir, f.file)).mtimeMs));
  if (!existsSync(addon) || statSync(addon).mtimeMs < newest) {
    log(`patches/${patchFile} is already applied, but the addon is older than the patched sources`);
    rebuild(pkg, dir, files, false);
  } else {
    log(`patches/${patchFile} is already applied and built; nothing to do`);
  }
}

for (const pkg of PACKAGES) patchPackage(pkg);
