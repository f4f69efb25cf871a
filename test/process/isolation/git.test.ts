// The engine's git wrapper against real repositories: compare-and-swap of refs, the porcelain parsers on git's own
// output, and the hardening (no hooks, no inherited GIT_DIR, explicit git dir for a worktree).
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Git, gitEnv, parseIdentity, parseNumstat, parseStatusV2, parseWorktreeList } from '../../../src/engine/isolation/git';
import { git, tempRepo, type TempRepo } from './gitKit';

describe('isolation/git (real git)', function () {
  this.timeout(120_000); // real git processes: seconds each on a loaded 2-core machine
  let repo: TempRepo;
  beforeEach(() => {
    repo = tempRepo({ 'a.txt': 'one\n', 'b.txt': 'two\n' });
  });
  afterEach(() => repo.cleanup());

  it('discovers the top level, the common dir and the git dir; undefined outside a repository', async () => {
    const d = await repo.git.discover();
    assert.equal(d?.toplevel, repo.dir);
    assert.equal(d?.commonDir, path.join(repo.dir, '.git'));
    const outside = path.join(repo.root, 'plain');
    mkdirSync(outside);
    assert.equal(await new Git({ cwd: outside, env: { ...process.env, GIT_CEILING_DIRECTORIES: repo.root } }).discover(), undefined);
  });

  it('update-ref is a compare-and-swap: a stale expected value changes nothing', async () => {
    const first = repo.head();
    const second = repo.commit({ 'c.txt': 'three\n' });
    git(repo.dir, 'branch', 'side', first);
    assert.equal(await repo.git.updateRef('refs/heads/side', second, second, 'stale'), false);
    assert.equal(repo.head('side'), first);
    assert.equal(await repo.git.updateRef('refs/heads/side', second, first, 'fresh'), true);
    assert.equal(repo.head('side'), second);
    // "must not exist" for a ref that exists
    assert.equal(await repo.git.updateRef('refs/heads/side', first, '', 'create'), false);
  });

  it('parses worktree list, status v2 and numstat exactly as git prints them', async () => {
    git(repo.dir, 'worktree', 'add', '--quiet', '--lock', '--reason', 'held by test', '-b', 'wt', path.join(repo.root, 'wt'));
    const list = parseWorktreeList((await repo.git.run(['worktree', 'list', '--porcelain', '-z'])).stdout);
    assert.equal(list.length, 2);
    assert.deepEqual(
      list.map((w) => [w.path, w.branch, w.locked]),
      [
        [repo.dir, 'refs/heads/main', undefined],
        [path.join(repo.root, 'wt'), 'refs/heads/wt', 'held by test'],
      ],
    );

    repo.write('a.txt', 'one changed\n');
    repo.write('new file.txt', 'x\n');
    git(repo.dir, 'mv', 'b.txt', 'b renamed.txt');
    const st = parseStatusV2((await repo.git.run(['status', '--porcelain=v2', '-z', '--untracked-files=all'])).stdout);
    assert.deepEqual(
      st.map((e) => [e.kind, e.path, e.origPath]).sort(),
      [
        ['1', 'a.txt', undefined],
        ['2', 'b renamed.txt', 'b.txt'],
        ['?', 'new file.txt', undefined],
      ].sort(),
    );

    const before = repo.head();
    repo.write('bin.dat', '\0\x01\x02');
    git(repo.dir, 'add', '--all');
    git(repo.dir, 'commit', '--quiet', '-m', 'x');
    const stats = parseNumstat((await repo.git.run(['diff', '--numstat', '-z', '-M', before, 'HEAD'])).stdout);
    const byPath = new Map(stats.map((s) => [s.path, s]));
    assert.deepEqual(byPath.get('a.txt'), { path: 'a.txt', added: 1, deleted: 1 });
    assert.equal(byPath.get('b renamed.txt')?.origPath, 'b.txt');
    assert.deepEqual(byPath.get('bin.dat'), { path: 'bin.dat' });
  });

  it('runs no hooks and ignores GIT_DIR and config injected through the caller environment', async () => {
    const other = tempRepo({ 'other.txt': 'x\n' }, 'coditect-git-other-');
    try {
      const marker = path.join(repo.root, 'hook-ran');
      const hook = path.join(repo.dir, '.git', 'hooks', 'pre-commit');
      writeFileSync(hook, `#!/bin/sh\ntouch '${marker}'\n`);
      chmodSync(hook, 0o755);
      const g = new Git({
        cwd: repo.dir,
        env: {
          ...process.env,
          GIT_DIR: path.join(other.dir, '.git'),
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'core.hooksPath',
          GIT_CONFIG_VALUE_0: '.git/hooks',
        },
      });
      repo.write('a.txt', 'engine edit\n');
      await g.run(['commit', '--quiet', '-am', 'engine'], {
        env: { GIT_AUTHOR_NAME: 'e', GIT_AUTHOR_EMAIL: 'e@x', GIT_COMMITTER_NAME: 'e', GIT_COMMITTER_EMAIL: 'e@x' },
      });
      assert.equal(existsSync(marker), false, 'the pre-commit hook must not run');
      assert.equal(git(repo.dir, 'log', '-1', '--format=%s'), 'engine');
      assert.equal(git(other.dir, 'log', '-1', '--format=%s'), 'initial', 'GIT_DIR from the environment must not redirect the engine');
    } finally {
      other.cleanup();
    }
  });

  it('keeps secrets out of git: only allow-listed variables pass', () => {
    const env = gitEnv({ PATH: '/bin', HOME: '/h', ANTHROPIC_API_KEY: 'sk-secret', GIT_DIR: '/elsewhere' });
    assert.equal(env.ANTHROPIC_API_KEY, undefined);
    assert.equal(env.GIT_DIR, undefined);
    assert.equal(env.PATH, '/bin');
    assert.equal(env.GIT_TERMINAL_PROMPT, '0');
  });

  it('parses author identities and refuses malformed ones', () => {
    assert.deepEqual(parseIdentity('CODITECT Bot <bot@example.com>'), { name: 'CODITECT Bot', email: 'bot@example.com' });
    assert.equal(parseIdentity('no email'), undefined);
    assert.equal(parseIdentity('<only@email>'), undefined);
  });
});
