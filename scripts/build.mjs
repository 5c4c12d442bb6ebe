#!/usr/bin/env node
// `npm run build`: compiles everything, or, when the observer's optional Kafka client is not
// installed (npm ci --omit=optional), the programs that do not need it (tsconfig.consumer.json):
// the observer's sources cannot compile without that package's types.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const full = existsSync(path.join(root, 'node_modules/@confluentinc/kafka-javascript/package.json'));
const config = full ? 'tsconfig.json' : 'tsconfig.consumer.json';
if (!full) process.stdout.write('build: @confluentinc/kafka-javascript is not installed: building the consumer and the load generator only (tsconfig.consumer.json)\n');
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', config], { cwd: root, stdio: 'inherit' });
} catch {
  process.exit(1);
}
