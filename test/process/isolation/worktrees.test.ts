// Task worktrees and the engine's commit, against real repositories: creation from a base commit, locking against
// `git worktree prune`, set-up (copy, link, command), removal, a crash's leftovers, a rewritten `.git` file, and a
// commit that refuses changes to the plan and `.coditect/`.
import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { commitTaskWork, taskCommitMessage } from '../../../src/engine/isolation/commit';
import { WorktreeManager, WorktreeSetupError, checkRelativePath, sanitize, slugOf, type WorktreeSetup } from '../../../src/engine/isolation/worktrees';
import { filesAt, git, tempRepo, type TempRepo } from './gitKit';

const ENGINE = { name: 'CODITECT', email: 'coditect@localhost' };

function manager(repo: TempRepo, setup: Partial<WorktreeSetup> = {}): WorktreeManager {
  return new WorktreeManager({
    repo: repo.git,
    toplevel: repo.dir,
    commonDir: path.join(repo.dir, '.git'),
    dir: path.join(repo.root, 'worktrees'),
    branchPrefix: 'coditect/',
    setup: { copy: [], link: [], ...setup },
    env: process.env,
  });
}

describe('isolation/worktrees and the engine commit (real git)', function () {
  this.timeout(120_000); // real git processes: seconds each on a loaded 2-core machine
  let repo: TempRepo;
  beforeEach(() => {
    repo = tempRepo({ 'src/app.txt': 'app\n', 'PLAN.md': '- [ ] T1 do it\n', '.gitignore': 'node_modules\n' });
  });
  afterEach(() => repo.cleanup());

  it('names branches <prefix><id>-<slug> and keeps ids and folders ref-safe', () => {
    const m = manager(repo);
    assert.equal(m.branchName('T001.010', 'Add the Login page (OAuth) — fast!'), 'coditect/T001.010-add-the-login-page-oauth-fast');
    assert.equal(sanitize('../evil..id.lock'), 'evil.id');
    assert.equal(slugOf('x'.repeat(100)).length, 40);
    assert.notEqual(m.pathFor('T1/a'), m.pathFor('T1-a'));
    assert.throws(() => checkRelativePath('../outside', 'worktree.copy'), /worktree.copy: expected a path inside the repository/);
    assert.throws(() => checkRelativePath('/etc/passwd', 'worktree.link'), /worktree.link/);
  });

  it('creates a locked worktree at the base commit that git worktree prune keeps, and removes it', async () => {
    const base = repo.head();
    repo.commit({ 'later.txt': 'after the base\n' });
    const m = manager(repo);
    const wt = await m.create('T1', m.branchName('T1', 'Do it'), base);
    assert.equal(git(wt.path, 'rev-parse', 'HEAD'), base);
    assert.equal(git(wt.path, 'symbolic-ref', '--short', 'HEAD'), 'coditect/T1-do-it');
    assert.equal(existsSync(path.join(wt.path, 'later.txt')), false);
    assert.ok(wt.gitDir.startsWith(path.join(repo.dir, '.git', 'worktrees')));

    // Even with its folder briefly gone, a person's `git worktree prune` keeps an engine-owned (locked) worktree.
    const owned = await m.owned();
    assert.equal(owned.length, 1);
    assert.match(owned[0].locked ?? '', /coditect task T1/);
    rmSync(wt.path, { recursive: true });
    git(repo.dir, 'worktree', 'prune');
    assert.ok(await m.adminDirOf(wt.path), 'prune must not drop a locked worktree');

    // Created again after such a loss: the branch exists, so it is checked out as it is.
    const again = await m.create('T1', wt.branch, base);
    assert.equal(git(again.path, 'rev-parse', 'HEAD'), base);
    await m.remove(again.path);
    assert.equal(existsSync(again.path), false);
    assert.deepEqual(await m.owned(), []);
    assert.equal(repo.head('coditect/T1-do-it'), base, 'removing a worktree keeps its branch');
  });

  it('clears a crash leftover folder that git does not know before creating the worktree', async () => {
    const m = manager(repo);
    const p = m.pathFor('T2');
    mkdirSync(path.join(p, 'half'), { recursive: true });
    writeFileSync(path.join(p, 'half', 'junk'), 'x');
    const wt = await m.create('T2', m.branchName('T2', 'two'), repo.head());
    assert.equal(existsSync(path.join(wt.path, 'half')), false);
    assert.ok(existsSync(path.join(wt.path, 'src', 'app.txt')));
  });

  it('sets a worktree up: copies, links, runs the set-up command; a failing command is an error with its output', async () => {
    repo.write('.env', 'TOKEN=local\n');
    mkdirSync(path.join(repo.dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(path.join(repo.dir, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    const m = manager(repo, { copy: ['.env', 'missing.cfg'], link: ['node_modules'], setup: 'echo set-up ran > setup.out && echo done' });
    const wt = await m.create('T3', m.branchName('T3', 'three'), repo.head());
    const chunks: string[] = [];
    const out = await m.setUp(wt.path, { onOutput: (c) => chunks.push(c) });
    assert.equal(readFileSync(path.join(wt.path, '.env'), 'utf8'), 'TOKEN=local\n');
    assert.ok(lstatSync(path.join(wt.path, 'node_modules')).isSymbolicLink());
    assert.equal(readlinkSync(path.join(wt.path, 'node_modules')), path.join(repo.dir, 'node_modules'));
    assert.equal(readFileSync(path.join(wt.path, 'setup.out'), 'utf8'), 'set-up ran\n');
    assert.match(out, /missing.cfg does not exist/);
    assert.match(chunks.join(''), /done/);

    const bad = manager(repo, { setup: 'echo installing; exit 3' });
    const wt2 = await bad.create('T4', bad.branchName('T4', 'four'), repo.head());
    await assert.rejects(bad.setUp(wt2.path), (e: unknown) => e instanceof WorktreeSetupError && /exited 3/.test(e.message) && /installing/.test(e.message));
  });

  it('works through the admin dir even when an agent rewrites the worktree .git file', async () => {
    const other = tempRepo({ 'x.txt': 'x\n' }, 'coditect-git-other-');
    try {
      const m = manager(repo);
      const wt = await m.create('T5', m.branchName('T5', 'five'), repo.head());
      writeFileSync(path.join(wt.path, '.git'), `gitdir: ${path.join(other.dir, '.git')}\n`);
      writeFileSync(path.join(wt.path, 'src', 'feature.txt'), 'feature\n');
      const r = await commitTaskWork(m.gitFor(wt), { base: wt.baseCommit, message: 'T5: five', identity: ENGINE, protectedPaths: [], ignoredPaths: [] });
      assert.equal(r.committed, true);
      assert.equal(repo.head(wt.branch), r.head);
      assert.ok(filesAt(repo.dir, wt.branch).includes('src/feature.txt'));
      assert.equal(git(other.dir, 'rev-list', '--count', 'HEAD'), '1', 'the other repository is untouched');
    } finally {
      other.cleanup();
    }
  });

  it('commits the task work as the engine, leaving out set-up files and refusing plan and .coditect changes', async () => {
    const m = manager(repo, { copy: ['.env.local'] });
    repo.write('.env.local', 'SECRET=1\n');
    const wt = await m.create('T6', m.branchName('T6', 'six'), repo.head());
    await m.setUp(wt.path);
    const g = m.gitFor(wt);
    // The agent: a real change, an edit of the plan, a new file in .coditect, and a commit of its own touching the plan.
    writeFileSync(path.join(wt.path, 'src', 'app.txt'), 'app v2\n');
    writeFileSync(path.join(wt.path, 'PLAN.md'), '- [x] T1 do it\n');
    git(wt.path, 'commit', '--quiet', '-am', 'agent commit');
    mkdirSync(path.join(wt.path, '.coditect'));
    writeFileSync(path.join(wt.path, '.coditect', 'config.json'), '{"max_concurrent_agents": 1000}');
    writeFileSync(path.join(wt.path, 'src', 'new.txt'), 'new\n');

    const msg = taskCommitMessage({ id: 'T6', title: 'Six things' }, 'backend-developer', 2);
    const r = await commitTaskWork(g, {
      base: wt.baseCommit,
      message: msg,
      identity: ENGINE,
      protectedPaths: ['PLAN.md', '.coditect'],
      ignoredPaths: m.setupPaths,
    });
    assert.equal(r.committed, true);
    assert.deepEqual(r.refused, ['PLAN.md']);
    assert.match(r.refusedDiff ?? '', /\+- \[x\] T1 do it/);
    const files = filesAt(repo.dir, wt.branch);
    assert.ok(files.includes('src/new.txt'));
    assert.ok(!files.includes('.env.local'), 'copied set-up files are never committed');
    assert.ok(!files.some((f) => f.startsWith('.coditect')), '.coditect is never committed');
    assert.equal(git(repo.dir, 'show', `${wt.branch}:PLAN.md`), '- [ ] T1 do it', "the plan is back to the base's version on the branch");
    assert.equal(git(repo.dir, 'show', `${wt.branch}:src/app.txt`), 'app v2');
    assert.equal(git(repo.dir, 'log', '-1', '--format=%an <%ae>|%s', wt.branch), 'CODITECT <coditect@localhost>|T6: Six things');
    assert.match(git(repo.dir, 'log', '-1', '--format=%b', wt.branch), /Agent: backend-developer/);

    // Nothing more to commit: no empty commit.
    const again = await commitTaskWork(g, {
      base: wt.baseCommit,
      message: msg,
      identity: ENGINE,
      protectedPaths: ['PLAN.md', '.coditect'],
      ignoredPaths: m.setupPaths,
    });
    assert.equal(again.committed, false);
    assert.equal(again.head, r.head);
  });
});
