// The merger and the merge queue against real repositories: parallel branches both land, a same-line conflict and a
// failing check keep the integration branch untouched, a person's uncommitted changes block (and are never touched),
// the engine's plan writes do not block, a branch already landed is not merged twice, and the integration branch
// moving under a merge is caught by the compare-and-swap.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { commitTaskWork } from '../../../src/engine/isolation/commit';
import { Merger, type MergeOutcome, type MergeRequest, type MergeStrategy } from '../../../src/engine/isolation/merger';
import { MergeQueue, type MergeQueueHandler } from '../../../src/engine/isolation/mergeQueue';
import { WorktreeManager } from '../../../src/engine/isolation/worktrees';
import { deferred } from '../../fakes/agentTestKit';
import { filesAt, git, subjects, tempRepo, type TempRepo } from './gitKit';

const ENGINE = { name: 'CODITECT', email: 'coditect@localhost' };

interface Rig {
  m: WorktreeManager;
  merger: Merger;
  /** Makes a task branch from the current main with `files` written and committed by the engine. */
  task(id: string, files: Record<string, string>): Promise<MergeRequest>;
}

function rig(repo: TempRepo, opts: { strategy?: MergeStrategy; verify?: string } = {}): Rig {
  const m = new WorktreeManager({
    repo: repo.git,
    toplevel: repo.dir,
    commonDir: path.join(repo.dir, '.git'),
    dir: path.join(repo.root, 'worktrees'),
    branchPrefix: 'coditect/',
    setup: { copy: [], link: [] },
    env: process.env,
  });
  const merger = new Merger({
    repo: repo.git,
    baseBranch: 'main',
    strategy: opts.strategy ?? 'merge',
    verify: opts.verify,
    identity: ENGINE,
    engineOwnedPaths: ['PLAN.md', '.coditect'],
    scratch: async () => m.gitFor(await m.scratch('merge', repo.head('main'))),
    env: process.env,
  });
  return {
    m,
    merger,
    async task(id, files) {
      const wt = await m.create(id, m.branchName(id, `task ${id}`), repo.head('main'));
      for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(wt.path, rel), text);
      await commitTaskWork(m.gitFor(wt), { base: wt.baseCommit, message: `${id}: work`, identity: ENGINE, protectedPaths: ['PLAN.md'], ignoredPaths: [] });
      return { taskId: id, title: `task ${id}`, branch: wt.branch };
    },
  };
}

describe('isolation/merger and the merge queue (real git)', function () {
  this.timeout(120_000); // real git processes: seconds each on a loaded 2-core machine
  let repo: TempRepo;
  beforeEach(() => {
    repo = tempRepo({ 'shared.txt': 'line 1\nline 2\nline 3\n', 'PLAN.md': '- [ ] T1\n- [ ] T2\n' });
  });
  afterEach(() => repo.cleanup());

  it('two branches writing different files both land through the queue; main has both, in queue order', async () => {
    const r = rig(repo);
    const a = await r.task('T1', { 'a.txt': 'from T1\n' });
    const b = await r.task('T2', { 'b.txt': 'from T2\n' });
    const done: [string, MergeOutcome['kind']][] = [];
    const handler: MergeQueueHandler = {
      started: () => undefined,
      candidate: () => undefined,
      blocked: () => undefined,
      unblocked: () => undefined,
      output: () => undefined,
      finished: (req, o) => void done.push([req.taskId, o.kind]),
      failed: (req, e) => assert.fail(`${req.taskId}: ${e.message}`),
    };
    const q = new MergeQueue({ merger: r.merger, handler });
    q.enqueue(a);
    q.enqueue(b);
    q.enqueue(a); // queued twice: merged once
    await q.idle();
    await q.close();
    assert.deepEqual(done, [
      ['T1', 'merged'],
      ['T2', 'merged'],
    ]);
    assert.deepEqual(filesAt(repo.dir, 'main'), ['PLAN.md', 'a.txt', 'b.txt', 'shared.txt']);
    assert.deepEqual(subjects(repo.dir, 'main').slice(0, 2), ['Merge coditect/T2-task-t2: T2 task T2', 'Merge coditect/T1-task-t1: T1 task T1']);
    // main is checked out in the person's work tree: its files moved with it.
    assert.equal(repo.read('b.txt'), 'from T2\n');
    assert.equal(git(repo.dir, 'status', '--porcelain'), '');
  });

  it('a same-line conflict reports the file and leaves main untouched; a failing check keeps the branch out', async () => {
    const r = rig(repo, { verify: 'grep -q "line 1" shared.txt' });
    const first = await r.task('T1', { 'shared.txt': 'line 1 by T1\nline 2\nline 3\n' });
    const second = await r.task('T2', { 'shared.txt': 'line 1 by T2\nline 2\nline 3\n' });
    const o1 = await r.merger.merge(first);
    assert.equal(o1.kind, 'merged');
    const mainAfterFirst = repo.head('main');
    const o2 = await r.merger.merge(second);
    assert.equal(o2.kind, 'conflict');
    assert.deepEqual(o2.kind === 'conflict' && o2.files, ['shared.txt']);
    assert.equal(repo.head('main'), mainAfterFirst);

    const breaking = await r.task('T3', { 'shared.txt': 'gone\n' });
    const o3 = await r.merger.merge(breaking);
    assert.equal(o3.kind, 'checks_failed');
    assert.equal(o3.kind === 'checks_failed' && o3.failed.command, 'grep -q "line 1" shared.txt');
    assert.equal(repo.head('main'), mainAfterFirst, 'a failing check on the merged result lands nothing');
    assert.equal(repo.read('shared.txt'), 'line 1 by T1\nline 2\nline 3\n');
  });

  it("re-runs the task's own Verify on the merged result: passing on its own branch is not enough", async () => {
    const r = rig(repo);
    const verify = 'test -f shared.txt || { echo "shared.txt is missing"; exit 4; }';
    // T1 deletes the file T2's check needs; both branches start from the same main, and T2 passes on its own branch.
    const wt1 = await r.m.create('T1', r.m.branchName('T1', 'task T1'), repo.head('main'));
    git(wt1.path, 'rm', '--quiet', 'shared.txt');
    await commitTaskWork(r.m.gitFor(wt1), { base: wt1.baseCommit, message: 'T1: remove', identity: ENGINE, protectedPaths: [], ignoredPaths: [] });
    const t2 = await r.task('T2', { 'c.txt': 'c\n' });
    assert.equal(git(r.m.pathFor('T2'), 'ls-files', 'shared.txt'), 'shared.txt');
    assert.equal((await r.merger.merge({ taskId: 'T1', title: 'task T1', branch: wt1.branch })).kind, 'merged');
    const landed = repo.head('main');
    const o = await r.merger.merge({ ...t2, verify });
    assert.equal(o.kind, 'checks_failed');
    assert.match(o.kind === 'checks_failed' ? o.failed.output : '', /shared.txt is missing/);
    assert.equal(o.kind === 'checks_failed' && o.failed.exitCode, 4);
    assert.equal(repo.head('main'), landed);
  });

  it("a person's uncommitted change blocks with a message and is never touched; the engine's plan writes do not block", async () => {
    const r = rig(repo);
    const t1 = await r.task('T1', { 'a.txt': 'from T1\n' });
    repo.write('PLAN.md', '- [x] T1\n- [ ] T2\n'); // the engine ticked a box
    repo.write('shared.txt', 'line 1\nmy unsaved idea\nline 3\n'); // the person's own edit
    const blocked = deferred<{ reason: string; files: string[] }>();
    const finished = deferred<MergeOutcome>();
    const q = new MergeQueue({
      merger: r.merger,
      recheckMs: 60_000, // only the poke below wakes it: the test proves the wait, not a timer
      handler: {
        started: () => undefined,
        candidate: () => undefined,
        blocked: (_req, reason, files) => blocked.resolve({ reason, files }),
        unblocked: () => undefined,
        output: () => undefined,
        finished: (_req, o) => finished.resolve(o),
        failed: (_req, e) => finished.reject(e),
      },
    });
    const before = repo.head('main');
    q.enqueue(t1);
    const b = await blocked.promise;
    assert.deepEqual(b.files, ['shared.txt']);
    assert.match(b.reason, /main has uncommitted changes in .*\(shared.txt\); the merge queue waits/);
    assert.equal(repo.head('main'), before);
    assert.equal(repo.read('shared.txt'), 'line 1\nmy unsaved idea\nline 3\n');

    git(repo.dir, 'commit', '--quiet', '-m', 'person commits their idea', '--', 'shared.txt');
    q.poke();
    const o = await finished.promise;
    await q.close();
    assert.equal(o.kind, 'merged');
    assert.equal(repo.read('a.txt'), 'from T1\n');
    assert.equal(repo.read('PLAN.md'), '- [x] T1\n- [ ] T2\n', "the engine's uncommitted plan write is still there");
    assert.equal(repo.read('shared.txt'), 'line 1\nmy unsaved idea\nline 3\n');
  });

  it('a branch main already contains is merged once: the second time lands nothing', async () => {
    const r = rig(repo);
    const t1 = await r.task('T1', { 'a.txt': 'x\n' });
    const o1 = await r.merger.merge(t1);
    assert.ok(o1.kind === 'merged' && !o1.alreadyMerged);
    const head = repo.head('main');
    const o2 = await r.merger.merge({ ...t1, candidate: o1.kind === 'merged' ? o1.commit : undefined });
    assert.ok(o2.kind === 'merged' && o2.alreadyMerged);
    assert.equal(repo.head('main'), head);
  });

  it('a task that changed nothing lands at once, even while a person has uncommitted changes on main', async () => {
    const r = rig(repo);
    const empty = await r.task('T1', {});
    repo.write('shared.txt', 'person is typing\n');
    const o = await r.merger.merge(empty);
    assert.ok(o.kind === 'merged' && o.alreadyMerged);
    const t2 = await r.task('T2', { 'b.txt': 'b\n' });
    const blocked = await r.merger.merge(t2);
    assert.equal(blocked.kind, 'blocked');
    assert.equal(repo.read('shared.txt'), 'person is typing\n');
  });

  it('with main checked out nowhere, the fast-forward is an update-ref compare-and-swap that survives a race', async () => {
    git(repo.dir, 'checkout', '--quiet', '--detach');
    const r = rig(repo, { verify: 'true' });
    const t1 = await r.task('T1', { 'a.txt': 'x\n' });
    // A person lands a commit on main while T1's checks run: the candidate is stale; the merger merges again.
    let raced = false;
    const o = await r.merger.merge(t1, {
      onCandidate: () => {
        if (raced) return;
        raced = true;
        git(repo.dir, 'checkout', '--quiet', 'main');
        repo.commit({ 'person.txt': 'p\n' }, 'person lands meanwhile');
        git(repo.dir, 'checkout', '--quiet', '--detach');
      },
    });
    assert.equal(o.kind, 'merged');
    assert.deepEqual(filesAt(repo.dir, 'main'), ['PLAN.md', 'a.txt', 'person.txt', 'shared.txt']);
    assert.equal(subjects(repo.dir, 'main')[1], 'person lands meanwhile');
  });

  it('rebase strategy: linear history, the task commits on top of main', async () => {
    const r = rig(repo, { strategy: 'rebase' });
    const t1 = await r.task('T1', { 'a.txt': 'x\n' });
    const t2 = await r.task('T2', { 'b.txt': 'y\n' });
    assert.equal((await r.merger.merge(t1)).kind, 'merged');
    assert.equal((await r.merger.merge(t2)).kind, 'merged');
    assert.deepEqual(subjects(repo.dir, 'main').slice(0, 3), ['T2: work', 'T1: work', 'initial']);
    assert.equal(git(repo.dir, 'rev-list', '--merges', '--count', 'main'), '0');
  });
});
