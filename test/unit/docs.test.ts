import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../support/dashboard-queries';
import { anchorsOf, brokenLinks } from '../support/markdown-links';

// README.md is the instructor's page; everything else lives in docs/ (issue 18, item 7).
const README = path.join(REPO_ROOT, 'README.md');
const DOCS = path.join(REPO_ROOT, 'docs');
const MAX_README_LINES = 260;

function markdownFiles(): string[] {
  return [README, ...fs.readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(DOCS, f))];
}

describe('the documentation', () => {
  test(`README.md stays the instructor's page: at most ${MAX_README_LINES} lines`, () => {
    const lines = fs.readFileSync(README, 'utf8').split('\n').length - 1;
    assert.ok(lines <= MAX_README_LINES, `README.md has ${lines} lines; move detail to docs/ (at most ${MAX_README_LINES})`);
  });

  test('every relative link in README.md and docs/*.md leads to a file that exists, and to a heading that exists', () => {
    const broken = markdownFiles().flatMap((f) => brokenLinks(f));
    assert.deepEqual(
      broken.map((b) => `${path.relative(REPO_ROOT, b.file)}:${b.line} (${b.target}): ${b.problem}`),
      [],
    );
  });

  test('README.md still gives the test command that .ci/run runs', () => {
    assert.match(fs.readFileSync(README, 'utf8'), /```sh\nnpm test\n```/);
    assert.match(fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8'), /^npm test /m);
  });
});

describe('the link checker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'links-'));
  fs.mkdirSync(path.join(dir, 'docs'));
  fs.writeFileSync(path.join(dir, 'docs', 'a.md'), '# A page\n\n## Two words: `code`\n');
  const page = path.join(dir, 'README.md');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('finds a missing file, a missing heading and a missing anchor on the same page', () => {
    fs.writeFileSync(page, '# Top\n\n[x](docs/b.md) [y](docs/a.md#nowhere) [z](#top) [w](#gone)\n');
    assert.deepEqual(brokenLinks(page).map((b) => b.target), ['docs/b.md', 'docs/a.md#nowhere', '#gone']);
  });

  test('accepts what resolves, and ignores web links and links shown as code', () => {
    fs.writeFileSync(page, '# Top\n\n[a](docs/a.md#two-words-code) [b](https://example.com/x) `[c](docs/none.md)`\n```\n[d](none.md)\n```\n');
    assert.deepEqual(brokenLinks(page), []);
  });

  test('makes anchors as GitHub does, repeated headings numbered', () => {
    assert.deepEqual([...anchorsOf('# Group observer: `npm run bench:observer`\n## Logs\n## Logs\n')], [
      'group-observer-npm-run-benchobserver',
      'logs',
      'logs-1',
    ]);
  });
});
