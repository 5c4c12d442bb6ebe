import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

// The postinstall's patch reader is plain JavaScript (scripts/ runs before anything is compiled).
type PatchFile = { file: string; hunks: unknown[] };
type PatchModule = {
  parsePatch(text: string): PatchFile[];
  applyHunks(text: string, hunks: unknown[], reverse: boolean): string | null;
};
const { parsePatch, applyHunks } = require('../../../scripts/patch-file.cjs') as PatchModule;

const PATCH = [
  'Why this patch exists (a description before the first file).',
  '',
  '--- a/src/common.cc',
  '+++ b/src/common.cc',
  '@@ -1,3 +1,3 @@',
  ' int a;',
  '-int b;',
  '+int b = 0;',
  ' int c;',
  '',
].join('\n');
const SOURCE = 'int a;\nint b;\nint c;\n';

describe('reading our patches', () => {
  test('a patch checked out with CRLF line ends (Git for Windows) names the same files and applies the same way', () => {
    const files = parsePatch(PATCH.replace(/\n/g, '\r\n'));
    assert.deepEqual(files.map((f) => f.file), ['src/common.cc']);
    assert.equal(applyHunks(SOURCE, files[0].hunks, false), 'int a;\nint b = 0;\nint c;\n');
    assert.deepEqual(files, parsePatch(PATCH));
  });

  test('a source that already carries the patch is recognised by un-applying it', () => {
    const [{ hunks }] = parsePatch(PATCH);
    assert.equal(applyHunks(SOURCE, hunks, false) !== null, true);
    assert.equal(applyHunks('int a;\nint b = 0;\nint c;\n', hunks, false), null);
    assert.equal(applyHunks('int a;\nint b = 0;\nint c;\n', hunks, true), SOURCE);
  });
});
