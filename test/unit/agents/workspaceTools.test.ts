import * as assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { enginePolicy } from '../../../src/engine/agents/sandbox';
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

  it('never writes what the engine trusts (plan, config, db, .git, a hard link or symlink to them) and hides the state dir', async () => {
    writeFileSync(path.join(root, 'PLAN.md'), '- [ ] T001 x\n');
    mkdirSync(path.join(root, '.coditect'));
    writeFileSync(path.join(root, '.coditect', 'config.json'), '{}');
    writeFileSync(path.join(root, '.coditect', 'context.db'), 'db');
    mkdirSync(path.join(root, '.git', 'hooks'), { recursive: true });
    mkdirSync(path.join(root, 'vendor', 'lib', '.git'), { recursive: true });
    linkSync(path.join(root, 'PLAN.md'), path.join(root, 'plan-hardlink.md'));
    symlinkSync(path.join(root, 'PLAN.md'), path.join(root, 'plan-symlink.md'));
    const policy = enginePolicy(
      {
        tasklistPath: path.join(root, 'PLAN.md'),
        workspaceRoot: root,
        stateDir: path.join(root, '.coditect'),
        dbPath: path.join(root, '.coditect', 'context.db'),
        configPath: path.join(root, '.coditect', 'config.json'),
      },
      { mode: 'auto', network: false, envAllow: [], writablePaths: [] },
      root,
    );
    const attempts = [
      'PLAN.md',
      './PLAN.md',
      'plan-hardlink.md',
      'plan-symlink.md',
      '.coditect/config.json',
      '.coditect/context.db',
      '.coditect/new.json',
      '.git/hooks/pre-commit',
      '.git/config',
      'vendor/lib/.git/hooks/post-checkout',
      path.join(root, 'PLAN.md'),
    ];
    for (const p of attempts) {
      const r = await executeWorkspaceTool('write_file', { path: p, content: 'Verify: id > pwned' }, { root, sandbox: policy });
      assert.equal(r.isError, true, `write_file ${p} was allowed`);
      assert.ok(r.violation, `write_file ${p} was refused but not reported as a violation`);
    }
    assert.equal(readFileSync(path.join(root, 'PLAN.md'), 'utf8'), '- [ ] T001 x\n');
    assert.equal(readFileSync(path.join(root, '.coditect', 'config.json'), 'utf8'), '{}');
    assert.equal(existsSync(path.join(root, '.git', 'hooks', 'pre-commit')), false);
    // Reading the plan is fine (it is the agent's context); the engine's state is not readable or listable.
    assert.equal((await executeWorkspaceTool('read_file', { path: 'PLAN.md' }, { root, sandbox: policy })).isError, false);
    assert.ok((await executeWorkspaceTool('read_file', { path: '.coditect/context.db' }, { root, sandbox: policy })).violation);
    const l = await executeWorkspaceTool('list_files', { recursive: true }, { root, sandbox: policy });
    assert.doesNotMatch(l.content, /\.coditect/);
    // Ordinary work still goes through.
    assert.equal((await executeWorkspaceTool('write_file', { path: 'src/b.ts', content: 'b' }, { root, sandbox: policy })).isError, false);
    assert.equal((await executeWorkspaceTool('write_file', { path: '.gitignore', content: 'x' }, { root, sandbox: policy })).isError, false);
  });

  it('reports bad tool calls as error results instead of throwing', async () => {
    assert.deepEqual(await executeWorkspaceTool('nope', {}, { root }), { content: 'unknown tool "nope"', isError: true });
    assert.equal((await executeWorkspaceTool('write_file', { path: 'x' }, { root })).isError, true);
    assert.equal((await executeWorkspaceTool('read_file', { path: 'missing.txt' }, { root })).isError, true);
    assert.equal((await executeWorkspaceTool('read_file', { path: 'src' }, { root })).isError, true);
  });
});
