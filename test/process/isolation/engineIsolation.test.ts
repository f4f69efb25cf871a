// Per-task isolation end to end: the real `coditect run` on a real git repository, command agents (a node script)
// writing files in parallel, each in its own worktree; the merge queue lands each branch on `main`.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, runCli } from '../cli/cliHarness';
import { filesAt, git, subjects, tempRepo, type TempRepo } from './gitKit';

/**
 * The agent: writes `<file>` (from the task title, "Write <file>") in its cwd (`CONTENT`, `%ID%` its task's id, or
 * "made by <id>"); with `BARRIER` set it waits until
 * every name in it has arrived (so two agents are known to run at once) and fails if it sees another task's file.
 */
const AGENT = `
const fs = require('fs'), path = require('path');
const id = process.env.CODITECT_TASK_ID, title = process.env.CODITECT_TASK_TITLE, cwd = process.cwd();
const m = /Write ([\\w.]+)/.exec(title); const file = m ? m[1] : id + '.txt';
const log = (s) => fs.appendFileSync(path.join(process.env.AGENT_LOG_DIR, id + '.log'), s + '\\n');
log('cwd ' + cwd);
const need = /needs ([\\w.]+)/.exec(title);
if (need && !fs.existsSync(path.join(cwd, need[1]))) { log('missing ' + need[1]); process.exit(3); }
fs.writeFileSync(path.join(cwd, file), (process.env.CONTENT || 'made by %ID%').replace('%ID%', id) + '\\n');
const barrier = process.env.BARRIER ? process.env.BARRIER.split(',') : [];
if (barrier.includes(id)) {
  const dir = process.env.AGENT_LOG_DIR;
  fs.writeFileSync(path.join(dir, 'arrived-' + id), '');
  const t0 = Date.now();
  while (!barrier.every((b) => fs.existsSync(path.join(dir, 'arrived-' + b)))) {
    if (Date.now() - t0 > 60000) { log('barrier timeout'); process.exit(4); }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  for (const other of fs.readdirSync(cwd)) if (/^[ab]\\.txt$/.test(other) && other !== file) { log('saw ' + other); process.exit(5); }
}
console.log('wrote ' + file);
`;

interface Landing {
  state: string;
  branch: string;
  path: string;
  files?: string[];
  note?: string;
}

function landings(dbPath: string): Record<string, Landing> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const row = db.prepare(`SELECT value FROM engine_state WHERE key = 'isolation.tasks'`).get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as Record<string, Landing>) : {};
  } finally {
    db.close();
  }
}

function statuses(dbPath: string): Record<string, string> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.prepare(`SELECT task_id, status FROM v2_tasks`).all() as { task_id: string; status: string }[];
    return Object.fromEntries(rows.map((r) => [r.task_id, r.status]));
  } finally {
    db.close();
  }
}

describe('isolation: worktree with the real CLI', function () {
  this.timeout(180_000);
  let repo: TempRepo;
  let logDir: string;
  let wtDir: string;

  before(() => ensureBuilt());
  beforeEach(() => {
    repo = tempRepo({ 'README.md': '# demo\n', '.gitignore': '.coditect/\n' }, 'coditect-iso-');
    logDir = path.join(repo.root, 'logs');
    wtDir = path.join(repo.root, 'worktrees');
    mkdirSync(logDir);
    // Inside a path the sandbox lets agents see (it hides the rest of /tmp).
    writeFileSync(path.join(logDir, 'agent.js'), AGENT);
  });
  afterEach(() => repo.cleanup());

  const configFile = (extra: Record<string, unknown> = {}, env: Record<string, string> = {}): string => {
    const file = path.join(repo.root, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        default_agent: 'writer',
        agents: {
          writer: {
            kind: 'command',
            executable: process.execPath,
            args: [path.join(logDir, 'agent.js')],
            stdin: 'none',
            env: { AGENT_LOG_DIR: logDir, ...env },
          },
        },
        max_concurrent_agents: 4,
        sandbox: { mode: 'auto', writable_paths: [logDir] },
        worktree: { dir: wtDir },
        ...extra,
      }),
    );
    return file;
  };

  const run = (config: string) => runCli(['run', 'PLAN.md', '--config', config], repo.dir);

  it('two tasks run in parallel in two worktrees, a dependent starts from their merge; main gets each commit; worktrees are gone', async () => {
    repo.commit({
      'PLAN.md': [
        '# Plan',
        '',
        '- [ ] T001 Write a.txt',
        '  - Verify: test -f a.txt',
        '- [ ] T002 Write b.txt',
        '  - Verify: test -f b.txt',
        '- [ ] T003 Write c.txt, needs a.txt',
        '  - Depends on: T001',
        '',
      ].join('\n'),
    });
    const before = repo.head('main');
    const r = await run(configFile({}, { BARRIER: 'T001,T002' }));
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}`);

    // main has each task's work, as engine merges, on top of the person's commit.
    assert.deepEqual(filesAt(repo.dir, 'main'), ['.gitignore', 'PLAN.md', 'README.md', 'a.txt', 'b.txt', 'c.txt']);
    const merges = subjects(repo.dir, 'main').filter((s) => s.startsWith('Merge coditect/'));
    assert.equal(merges.length, 3, subjects(repo.dir, 'main').join('\n'));
    assert.equal(git(repo.dir, 'merge-base', '--is-ancestor', before, 'main'), '');
    // The person's checkout follows (fast-forwarded), the plan's checkboxes are ticked and not committed.
    assert.equal(repo.read('a.txt'), 'made by T001\n');
    assert.match(repo.read('PLAN.md'), /- \[x\] T003/);
    assert.equal(git(repo.dir, 'log', '-1', '--format=%H', 'main', '--', 'PLAN.md'), git(repo.dir, 'rev-parse', before));

    // Every agent ran in its own worktree (never in the person's tree) and saw no other task's half-done file.
    for (const id of ['T001', 'T002', 'T003']) {
      const log = readFileSync(path.join(logDir, `${id}.log`), 'utf8');
      assert.match(log, new RegExp(`^cwd ${wtDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/tasks/${id}$`, 'm'), log);
      assert.doesNotMatch(log, /saw |missing /, log);
    }
    // The commits are the engine's, naming task and agent.
    const t1 = git(repo.dir, 'log', '--format=%an|%s', '-1', 'main^2', '--', 'a.txt');
    assert.match(t1, /^CODITECT\|T001: Write a.txt$/);

    const db = path.join(repo.dir, '.coditect', 'context.db');
    assert.deepEqual(statuses(db), { T001: 'completed', T002: 'completed', T003: 'completed' });
    const l = landings(db);
    assert.deepEqual(
      Object.values(l).map((x) => x.state),
      ['merged', 'merged', 'merged'],
    );
    // Worktrees are gone; branches are kept (branch_retention_days, default 7).
    assert.deepEqual(readdirSync(path.join(wtDir, 'tasks')), []);
    assert.equal(git(repo.dir, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length, 2, 'the person tree and the merge scratch tree');
    assert.match(git(repo.dir, 'branch', '--list', 'coditect/*'), /coditect\/T001-write-a-txt/);
  });

  it('two tasks editing the same line: the second needs review with the file named, main keeps passing its check', async () => {
    repo.commit({
      'PLAN.md': ['# Plan', '', '- [ ] T001 Write same.txt', '- [ ] T002 Write same.txt', '- [ ] T003 Write after.txt', '  - Depends on: T001, T002', ''].join(
        '\n',
      ),
    });
    // Both run at once (the barrier), so both branches start from the same commit and add the same file.
    const r = await run(configFile({ merge: { verify: 'test -f same.txt' } }, { BARRIER: 'T001,T002' }));
    assert.equal(r.code, 1, 'the run cannot finish: T002 waits for review');
    const db = path.join(repo.dir, '.coditect', 'context.db');
    const st = statuses(db);
    // Whichever finished first landed; the other conflicts.
    const first = st.T001 === 'completed' ? 'T001' : 'T002';
    const second = first === 'T001' ? 'T002' : 'T001';
    assert.equal(st[first], 'completed');
    assert.equal(st[second], 'blocked');
    assert.equal(st.T003, 'pending', 'a dependent does not start before its dependency merged');
    const l = landings(db);
    assert.equal(l[second].state, 'needs_review');
    assert.deepEqual(l[second].files, ['same.txt']);
    assert.match(r.stderr, new RegExp(`${second} needs review: merging coditect/${second}-write-same-txt into main conflicts in same\\.txt`));
    assert.equal(repo.read('same.txt'), `made by ${first}\n`);
    assert.equal(git(repo.dir, 'show', 'main:same.txt'), `made by ${first}`);
    // The conflicted branch and its worktree are kept for the person.
    assert.ok(existsSync(l[second].path));
  });

  it('merge.on_conflict agent: the conflicted branch goes back to its agent with the markers, which resolves them; all lands, no retry spent', async () => {
    repo.commit({
      'PLAN.md': ['# Plan', '', '- [ ] T001 Write same.txt', '- [ ] T002 Write same.txt', '- [ ] T003 Write after.txt', '  - Depends on: T001, T002', ''].join(
        '\n',
      ),
    });
    const r = await run(configFile({ merge: { verify: 'test -f same.txt', on_conflict: 'agent' } }, { BARRIER: 'T001,T002' }));
    assert.equal(r.code, 0, r.stderr);
    const db = path.join(repo.dir, '.coditect', 'context.db');
    assert.deepEqual(statuses(db), { T001: 'completed', T002: 'completed', T003: 'completed' });
    // The one that landed second ran twice: its second attempt found git's markers and wrote the file whole.
    const runs = (id: string) =>
      readFileSync(path.join(logDir, `${id}.log`), 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('cwd ')).length;
    const second = runs('T001') === 2 ? 'T001' : 'T002';
    assert.deepEqual([runs('T001'), runs('T002')].sort(), [1, 2]);
    assert.match(
      r.stderr,
      new RegExp(
        `${second}: merging coditect/${second}-write-same-txt into main conflicts in same\\.txt; .*merge\\.on_conflict agent: the next attempt resolves same\\.txt \\(1 of 2\\)`,
      ),
    );
    assert.equal(git(repo.dir, 'show', 'main:same.txt'), `made by ${second}`);
    assert.match(git(repo.dir, 'branch', '--list', `coditect/${second}-write-same-txt-conflicted-1`), /conflicted-1/, 'the conflicted work is kept');
    const attempts = new Database(db, { readonly: true });
    try {
      const rows = attempts.prepare(`SELECT status FROM agent_execution_log WHERE task_id = ? ORDER BY log_id`).all(second) as { status: string }[];
      assert.deepEqual(
        rows.map((x) => x.status),
        ['released', 'completed'],
      );
      const task = attempts.prepare(`SELECT retry_count FROM v2_tasks WHERE task_id = ?`).get(second) as { retry_count: number };
      assert.equal(task.retry_count, 0, 'a conflict handed to an agent spends no retry');
    } finally {
      attempts.close();
    }
  });

  it('merge.on_conflict agent gives up after two resolutions that leave markers: the branch then waits for a person', async () => {
    repo.commit({ 'PLAN.md': ['# Plan', '', '- [ ] T001 Write same.txt', '- [ ] T002 Write same.txt', ''].join('\n') });
    // Every attempt writes a line that reads as a conflict marker: a resolution is never accepted.
    const r = await run(configFile({ merge: { on_conflict: 'agent' } }, { BARRIER: 'T001,T002', CONTENT: '<<<<<<< %ID%\nmade by %ID%' }));
    assert.equal(r.code, 1, 'the run cannot finish: the second task waits for a person');
    const db = path.join(repo.dir, '.coditect', 'context.db');
    const st = statuses(db);
    const second = st.T001 === 'completed' ? 'T002' : 'T001';
    assert.equal(st[second], 'blocked');
    const runs = readFileSync(path.join(logDir, `${second}.log`), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('cwd ')).length;
    assert.equal(runs, 3, 'its first attempt and two resolutions');
    assert.match(r.stderr, new RegExp(`${second}: an agent tried 2 times to resolve the conflicts; the branch waits for a person`));
    const l = landings(db)[second];
    assert.equal(l.state, 'needs_review');
    assert.match(l.note ?? '', /^conflict markers remain in same\.txt/);
  });

  it('a failing check on the merged result keeps the branch out of main', async () => {
    repo.commit({ 'PLAN.md': ['# Plan', '', '- [ ] T001 Write a.txt', ''].join('\n') });
    const before = repo.head('main');
    const r = await run(configFile({ merge: { verify: 'test -f never.txt' } }));
    assert.equal(r.code, 1);
    const db = path.join(repo.dir, '.coditect', 'context.db');
    assert.equal(statuses(db).T001, 'blocked');
    assert.equal(landings(db).T001.state, 'needs_review');
    assert.match(landings(db).T001.note ?? '', /`test -f never.txt` failed \(exit 1\)/);
    assert.equal(repo.head('main'), before);
  });

  it('merge.policy review: the task waits for a person, nothing lands', async () => {
    repo.commit({ 'PLAN.md': ['# Plan', '', '- [ ] T001 Write a.txt', ''].join('\n') });
    const before = repo.head('main');
    const r = await run(configFile({ merge: { policy: 'review' } }));
    assert.equal(r.code, 1);
    const db = path.join(repo.dir, '.coditect', 'context.db');
    assert.equal(statuses(db).T001, 'blocked');
    assert.equal(landings(db).T001.state, 'awaiting_review');
    assert.match(r.stderr, /T001: awaiting review \(1 file, \+1 −0\)/);
    assert.equal(repo.head('main'), before);
    assert.equal(git(repo.dir, 'show', `${landings(db).T001.branch}:a.txt`), 'made by T001');
  });

  it('a task with `Isolation: none` runs in the shared tree beside isolated ones; the engine neither commits nor merges its work', async () => {
    repo.commit({
      'PLAN.md': ['# Plan', '', '- [ ] T001 Write a.txt', '- [ ] T002 Write b.txt', '  - Isolation: none', '  - Verify: test -f b.txt', ''].join('\n'),
    });
    const before = repo.head('main');
    const r = await run(configFile());
    assert.equal(r.code, 0, r.stderr);
    const db = path.join(repo.dir, '.coditect', 'context.db');
    assert.deepEqual(statuses(db), { T001: 'completed', T002: 'completed' });
    assert.match(readFileSync(path.join(logDir, 'T001.log'), 'utf8'), new RegExp(`^cwd ${wtDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/tasks/T001$`, 'm'));
    assert.match(readFileSync(path.join(logDir, 'T002.log'), 'utf8'), new RegExp(`^cwd ${repo.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    // T001 landed as a merge; T002's file is in the person's tree, uncommitted, and has no branch or landing record.
    assert.deepEqual(subjects(repo.dir, 'main').slice(0, 2), ['Merge coditect/T001-write-a-txt: T001 Write a.txt', 'person commit']);
    assert.equal(git(repo.dir, 'merge-base', '--is-ancestor', before, 'main'), '');
    assert.equal(repo.read('b.txt'), 'made by T002\n');
    assert.match(git(repo.dir, 'status', '--porcelain'), /^\?\? b\.txt$/m);
    assert.deepEqual(Object.keys(landings(db)), ['T001']);
    assert.equal(git(repo.dir, 'branch', '--list', 'coditect/T002*'), '');
  });

  it('worktree.link and worktree.copy survive between merges: the checks of every merge find them (git clean keeps them)', async () => {
    // `node_modules/` (with the slash) ignores folders only: the symlink to it is untracked, and git clean took it.
    repo.commit({
      '.gitignore': '.coditect/\nnode_modules/\n',
      'PLAN.md': [
        '# Plan',
        '',
        '- [ ] T001 Write a.txt',
        '- [ ] T002 Write b.txt',
        '  - Depends on: T001',
        '- [ ] T003 Write c.txt',
        '  - Depends on: T002',
        '',
      ].join('\n'),
    });
    mkdirSync(path.join(repo.dir, 'node_modules'));
    writeFileSync(path.join(repo.dir, 'node_modules', 'marker'), 'dep\n');
    writeFileSync(path.join(repo.dir, '.env'), 'KEY=1\n');
    const r = await run(
      configFile({
        worktree: { dir: wtDir, link: ['node_modules'], copy: ['.env'] },
        // The link itself (its target, in this test's /tmp repository, is hidden by the checks' sandbox's private /tmp).
        merge: { verify: 'test -L node_modules && test -f .env' },
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(filesAt(repo.dir, 'main'), ['.gitignore', 'PLAN.md', 'README.md', 'a.txt', 'b.txt', 'c.txt']);
    assert.equal(subjects(repo.dir, 'main').filter((x) => x.startsWith('Merge coditect/')).length, 3);
  });

  it('an agent that rewrites the plan in its worktree: refused, the task waits for review, main untouched', async () => {
    const plan = ['# Plan', '', '- [ ] T001 Write PLAN.md', '  - Verify: true', ''].join('\n');
    repo.commit({ 'PLAN.md': plan });
    const before = repo.head('main');
    const r = await run(configFile({}, { CONTENT: '- [ ] T001 Write PLAN.md\n  - Verify: touch pwned' }));
    assert.equal(r.code, 1);
    const db = path.join(repo.dir, '.coditect', 'context.db');
    assert.equal(landings(db).T001.state, 'needs_review');
    assert.deepEqual(landings(db).T001.files, ['PLAN.md']);
    assert.equal(repo.head('main'), before);
    assert.equal(existsSync(path.join(repo.dir, 'pwned')), false);
    assert.doesNotMatch(git(repo.dir, 'show', `${landings(db).T001.branch}:PLAN.md`), /pwned/);
  });
});
