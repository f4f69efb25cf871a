import * as assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { executeWorkspaceTool, PathEscapeError, resolveInsideRoot } from '../../../src/engine/agents/workspaceTools';
import { cleanup, makeTempDir } from '../../fakes/agentTestKit';

describe('workspaceTools', () => {
  let root: string;
  let outside: string;
  beforeEach(() => {
    root = makeTempDir();
    outside = makeTempDir('coditect-outside-');
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'a.ts'), 'a');
    symlinkSync(path.join(root, 'src'), path.join(root, 'inner-link'));
    symlinkSync(outside, path.join(root, 'outer-link'));
  });
  afterEach(() => {
    cleanup(root);
    cleanup(outside);
  });

  it('accepts paths inside, including not-yet-existing ones and symlinks that stay inside', async () => {
    assert.equal(await resolveInsideRoot(root, 'src/a.ts'), path.join(root, 'src', 'a.ts'));
    assert.equal(await resolveInsideRoot(root, 'new/dir/file.txt'), path.join(root, 'new', 'dir', 'file.txt'));
    assert.equal(await resolveInsideRoot(root, 'inner-link/a.ts'), path.join(root, 'src', 'a.ts'));
    assert.equal(await resolveInsideRoot(root, path.join(root, 'src')), path.join(root, 'src'));
    assert.equal(await resolveInsideRoot(root, 'src/../src/a.ts'), path.join(root, 'src', 'a.ts'));
  });

  it('refuses traversal, absolute paths outside, escaping symlinks (also for new files) and bad input', async () => {
    for (const p of ['..', '../x', 'src/../../x', '/etc/passwd', outside, 'outer-link', 'outer-link/new.txt', 'outer-link/deeper/new.txt', '', 'a\u0000b']) {
      await assert.rejects(resolveInsideRoot(root, p), PathEscapeError, `should refuse ${JSON.stringify(p)}`);
    }
    await assert.rejects(resolveInsideRoot(root, 42), /non-empty string/);
  });

  it('read_file truncates big files and list_files skips .git on recursion', async () => {
    writeFileSync(path.join(root, 'big.txt'), 'x'.repeat(500));
    const r = await executeWorkspaceTool('read_file', { path: 'big.txt' }, { root, maxReadBytes: 100 });
    assert.equal(r.isError, false);
    assert.match(r.content, /truncated: file is 500 bytes, shown 100/);
    mkdirSync(path.join(root, '.git'));
    writeFileSync(path.join(root, '.git', 'HEAD'), 'ref');
    const l = await executeWorkspaceTool('list_files', { recursive: true }, { root });
    assert.match(l.content, /^src\/a\.ts$/m);
    assert.match(l.content, /^\.git\/$/m);
    assert.doesNotMatch(l.content, /HEAD/);
  });

  it('reports bad tool calls as error results instead of throwing', async () => {
    assert.deepEqual(await executeWorkspaceTool('nope', {}, { root }), { content: 'unknown tool "nope"', isError: true });
    assert.equal((await executeWorkspaceTool('write_file', { path: 'x' }, { root })).isError, true);
    assert.equal((await executeWorkspaceTool('read_file', { path: 'missing.txt' }, { root })).isError, true);
    assert.equal((await executeWorkspaceTool('read_file', { path: 'src' }, { root })).isError, true);
  });
});
