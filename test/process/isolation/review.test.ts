// Review of task branches with the real CLI on real git repositories: `coditect review list|show|accept|reject|retry|resolve`
// with no engine running (an engine opened by the command) and through a running daemon (its control socket).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, runCli } from '../cli/cliHarness';
import { git, tempRepo, type TempRepo } from './gitKit';

/** Writes `<file>` (from the title, "Write <file>") with CONTENT; logs the attempt and the prompt's previous error. */
const AGENT = `
const fs = require('fs'), path = require('path');
const id = process.env.CODITECT_TASK_ID, title = process.env.CODITECT_TASK_TITLE, cwd = process.cwd();
const task = JSON.parse(process.env.CODITECT_TASK_JSON);
const m = /Write ([\\w.]+)/.exec(title); const file = m ? m[1] : id + '.txt';
const log = (s) => fs.appendFileSync(path.join(process.env.AGENT_LOG_DIR, id + '.log'), s + '\\n');
log('attempt ' + process.env.CODITECT_TASK_ATTEMPT + ' cwd ' + cwd + ' found ' + fs.existsSync(path.join(cwd, file)) + ' note ' + (task.previousError || '-'));
// A note asking it to leave the markers: an agent that says it resolved a conflict and did not.
if (!(task.previousError || '').includes('LEAVE-MARKERS')) fs.writeFileSync(path.join(cwd, file), 'line one\\nmade by ' + id + '\\n');
`;

interface Landing {
  state: string;
  branch: string;
  path: string;
  kept?: { branch: string }[];
  note?: string;
  base: string;
}

function read<T>(dbPath: string, sql: string): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const landings = (db: string): Record<string, Landing> =>
  JSON.parse(read<{ value: string }>(db, `SELECT value FROM engine_state WHERE key = 'isolation.tasks'`)[0]?.value ?? '{}') as Record<string, Landing>;
const statuses = (db: string): Record<string, string> =>
  Object.fromEntries(read<{ task_id: string; status: string }>(db, `SELECT task_id, status FROM v2_tasks`).map((r) => [r.task_id, r.status]));

describe('isolation: coditect review with the real CLI', function () {
  this.timeout(240_000);
  let repo: TempRepo;
  let logDir: string;
  let wtDir: string;
  let db: string;

  before(() => ensureBuilt());
  beforeEach(() => {
    repo = tempRepo({ 'README.md': '# demo\n', '.gitignore': '.coditect/\nconfig.json\n' }, 'coditect-review-');
    logDir = path.join(repo.root, 'logs');
    wtDir = path.join(repo.root, 'worktrees');
    db = path.join(repo.dir, '.coditect', 'context.db');
    mkdirSync(logDir);
    writeFileSync(path.join(logDir, 'agent.js'), AGENT);
    // notify.command: each event the engine sends a person, one JSON line per event.
    writeFileSync(
      path.join(logDir, 'notify.js'),
      `let s = ''; process.stdin.on('data', (c) => (s += c)).on('end', () => require('fs').appendFileSync(${JSON.stringify(path.join(logDir, 'events.jsonl'))}, s.trim() + '\\n'));`,
    );
    writeFileSync(
      path.join(repo.dir, 'config.json'),
      JSON.stringify({
        default_agent: 'writer',
        agents: {
          writer: { kind: 'command', executable: process.execPath, args: [path.join(logDir, 'agent.js')], stdin: 'none', env: { AGENT_LOG_DIR: logDir } },
        },
        sandbox: { mode: 'auto', writable_paths: [logDir] },
        worktree: { dir: wtDir },
        merge: { verify: 'test -f a.txt', policy_overrides: { T001: 'review' } },
        notify: { command: [process.execPath, path.join(logDir, 'notify.js')], events: ['review_waiting'] },
      }),
    );
    repo.commit({
      'PLAN.md': ['# Plan', '', '- [ ] T001 Write a.txt', '  - Verify: test -f a.txt', '- [ ] T002 Write b.txt', '  - Depends on: T001', ''].join('\n'),
    });
  });
  afterEach(() => repo.cleanup());

  const cli = (...args: string[]) => runCli([...args.slice(0, 2), 'PLAN.md', ...args.slice(2), '--config', 'config.json'], repo.dir);
  const agentLog = (id: string): string => readFileSync(path.join(logDir, `${id}.log`), 'utf8');

  it('without an engine: list and show read; accept lands through the merge queue; the dependent then starts from the merge', async () => {
    const before = repo.head('main');
    const run = await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.equal(run.code, 1, `T001 waits for review:\n${run.stderr}`);
    assert.match(run.stderr, /T001: awaiting review \(1 file, \+2 −0\)/);
    // The person hears about it (the editor gets the same event as a notification).
    const events = readFileSync(path.join(logDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; taskId?: string; message: string });
    assert.deepEqual(
      events.map((e) => [e.kind, e.taskId]),
      [['review_waiting', 'T001']],
    );
    assert.match(events[0].message, /^T001 is done and waits for review before it lands: Write a\.txt$/);

    const planBefore = repo.read('PLAN.md');
    const list = await cli('review', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const l = JSON.parse(list.stdout) as {
      isolation: boolean;
      reviews: { taskId: string; state: string; stat: { text: string }; changes: { path: string }[]; base: string; head: string; worktree?: string }[];
    };
    assert.equal(l.isolation, true);
    assert.deepEqual(
      l.reviews.map((r) => [r.taskId, r.state, r.stat.text, r.changes.map((c) => c.path)]),
      [['T001', 'awaiting_review', '1 file, +2 −0', ['a.txt']]],
    );
    assert.equal(l.reviews[0].base, before);
    assert.equal(git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt'), l.reviews[0].head);
    assert.ok(l.reviews[0].worktree && existsSync(l.reviews[0].worktree));

    const show = await cli('review', 'show', 'T001');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /awaiting review: 1 file, \+2 −0, coditect\/T001-write-a-txt/);
    assert.match(show.stdout, /^ +\+2 −0 +a\.txt$/m);
    assert.match(show.stdout, /^\+\+\+ b\/a\.txt$/m);
    assert.match(show.stdout, /^\+made by T001$/m);
    // Reading commands leave the plan and the integration branch alone.
    assert.equal(repo.read('PLAN.md'), planBefore);
    assert.equal(repo.head('main'), before);

    const missing = await cli('review', 'show', 'T002');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /T002 has no branch waiting for review/);

    const accept = await cli('review', 'accept', 'T001');
    assert.equal(accept.code, 0, accept.stderr);
    assert.match(accept.stdout, /T001: merged at [0-9a-f]{12}; the task is completed/);
    assert.equal(git(repo.dir, 'show', 'main:a.txt'), 'line one\nmade by T001');
    assert.match(git(repo.dir, 'log', '-1', '--format=%s', 'main'), /^Merge coditect\/T001-write-a-txt/);
    assert.equal(statuses(db).T001, 'completed');
    assert.equal(landings(db).T001.state, 'merged');
    assert.equal(existsSync(landings(db).T001.path), false, 'the merged worktree is removed');
    assert.match(repo.read('PLAN.md'), /- \[x\] T001/);
    assert.equal(statuses(db).T002, 'pending', 'no engine dispatches: the dependent waits for the next run');
    assert.equal((await cli('review', 'list')).stdout.trim(), 'no task branch waits for review');

    const again = await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(agentLog('T002'), /attempt 1 /);
    assert.equal(git(repo.dir, 'show', 'main:b.txt'), 'line one\nmade by T002');
  });

  it('a failing check on accept keeps the branch out; reject keeps the work on a -rejected branch and the note reaches the next prompt', async () => {
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    const before = repo.head('main');
    // The person's config now asks for a check the merged result fails.
    const cfg = JSON.parse(readFileSync(path.join(repo.dir, 'config.json'), 'utf8')) as { merge: Record<string, unknown> };
    cfg.merge.verify = 'test -f never.txt';
    writeFileSync(path.join(repo.dir, 'config.json'), JSON.stringify(cfg));
    const accept = await cli('review', 'accept', 'T001', '--json');
    assert.equal(accept.code, 1);
    const r = JSON.parse(accept.stdout) as { outcome: string; reason: string };
    assert.equal(r.outcome, 'needs_review');
    assert.match(r.reason, /`test -f never.txt` failed/);
    assert.equal(repo.head('main'), before, 'nothing lands that fails its checks');
    assert.equal(statuses(db).T001, 'blocked');
    assert.equal(landings(db).T001.state, 'needs_review');

    const head = git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt');
    const reject = await cli('review', 'reject', 'T001', '--note', 'write it in French', '--json');
    assert.equal(reject.code, 0, reject.stderr);
    assert.deepEqual(JSON.parse(reject.stdout), { status: 'pending', keptBranch: 'coditect/T001-write-a-txt-rejected-1' });
    assert.equal(git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt-rejected-1'), head, 'the rejected work is kept');
    assert.equal(existsSync(landings(db).T001.path), false, 'its worktree is removed');
    assert.equal(statuses(db).T001, 'pending');
    assert.equal(repo.head('main'), before);

    // The next attempt starts afresh from main (no a.txt there) with the note in its prompt; policy review again.
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    const log = agentLog('T001').trim().split('\n');
    assert.equal(log.length, 2, log.join('\n'));
    assert.match(log[1], /found false note A person rejected the previous result: write it in French$/);
    assert.equal(landings(db).T001.state, 'awaiting_review');

    // Retry with note: the next attempt continues in the same worktree, its file already there.
    const retry = await cli('review', 'retry', 'T001', '--note', 'shorter please');
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /T001: the task is pending; its next attempt continues in its worktree/);
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.match(agentLog('T001').trim().split('\n')[2], /found true note A person asked for another attempt: shorter please$/);
  });

  it('a conflict: resolve rebuilds the branch on main with conflict markers; an agent that leaves markers is refused, one that resolves them lands', async () => {
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.equal(landings(db).T001.state, 'awaiting_review');
    const first = git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt');
    // Meanwhile a person writes the same file on main: the branch no longer merges.
    repo.commit({ 'a.txt': 'line one\nmade by a person\n' }, 'a person writes a.txt');
    const main = repo.head('main');
    const accept = await cli('review', 'accept', 'T001', '--json');
    assert.equal(accept.code, 1);
    assert.deepEqual(JSON.parse(accept.stdout), {
      outcome: 'needs_review',
      reason: 'merging coditect/T001-write-a-txt into main conflicts in a.txt; main is unchanged',
      files: ['a.txt'],
    });
    const list = JSON.parse((await cli('review', 'list', '--json')).stdout) as { reviews: { taskId: string; conflict?: boolean }[] };
    assert.equal(list.reviews.find((r) => r.taskId === 'T001')?.conflict, true, 'the review says it is a conflict');

    const resolve = await cli('review', 'resolve', 'T001', '--note', 'LEAVE-MARKERS', '--json');
    assert.equal(resolve.code, 0, resolve.stderr);
    assert.deepEqual(JSON.parse(resolve.stdout), { status: 'pending', files: ['a.txt'], keptBranch: 'coditect/T001-write-a-txt-conflicted-1' });
    assert.equal(git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt-conflicted-1'), first, 'the previous work is kept');
    assert.equal(git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt'), main, 'the branch starts again from main');
    const wt = landings(db).T001.path;
    assert.match(readFileSync(path.join(wt, 'a.txt'), 'utf8'), /^<<<<<<< [^]*made by a person[^]*=======\n[^]*made by T001[^]*>>>>>>> /m);
    assert.equal(landings(db).T001.base, main, 'the review diff starts at main');
    assert.equal(statuses(db).T001, 'pending');

    // The next attempt is told what to resolve; this agent leaves the markers: nothing is committed or lands.
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    const log = agentLog('T001').trim().split('\n');
    assert.equal(log.length, 2, log.join('\n'));
    assert.match(log[1], /found true note Bringing main into this task's work conflicts in a\.txt\..*A person adds: LEAVE-MARKERS$/);
    assert.equal(landings(db).T001.state, 'needs_review');
    assert.match(landings(db).T001.note ?? '', /^conflict markers remain in a\.txt/);
    assert.equal(git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt'), main, 'nothing was committed');
    assert.equal(repo.head('main'), main);
    assert.equal(statuses(db).T001, 'blocked');

    // Asked again: the attempt goes on from the same worktree; this time the agent resolves the file.
    const again = await cli('review', 'resolve', 'T001');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /T001: the task is pending; its next attempt resolves the conflicts in a\.txt/);
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.equal(landings(db).T001.state, 'awaiting_review', 'policy review: it waits again, now as one change on main');
    assert.equal(git(repo.dir, 'rev-parse', 'coditect/T001-write-a-txt^'), main);
    const accepted = await cli('review', 'accept', 'T001', '--json');
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.equal(git(repo.dir, 'show', 'main:a.txt'), 'line one\nmade by T001');
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.deepEqual(statuses(db), { T001: 'completed', T002: 'completed' });
  });

  it('resolve is refused for a branch that did not conflict', async () => {
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    const r = await cli('review', 'resolve', 'T001');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /T001 has no merge conflict to resolve \(awaiting review\)/);
    assert.equal(landings(db).T001.state, 'awaiting_review', 'nothing changed');
  });

  it("accept is refused while the task's worktree holds a person's uncommitted change: named, kept, nothing merged", async () => {
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    const before = repo.head('main');
    const wt = landings(db).T001.path;
    writeFileSync(path.join(wt, 'a.txt'), 'line one\nmy fix, not committed\n');
    const accept = await cli('review', 'accept', 'T001');
    assert.equal(accept.code, 1);
    assert.match(
      accept.stderr,
      /the worktree of T001 \(.*\) has uncommitted changes \(a\.txt\); commit them on coditect\/T001-write-a-txt there, then accept again/,
    );
    assert.equal(readFileSync(path.join(wt, 'a.txt'), 'utf8'), 'line one\nmy fix, not committed\n', 'the change is kept');
    assert.equal(repo.head('main'), before, 'nothing merged');
    assert.equal(landings(db).T001.state, 'awaiting_review');
  });

  it('accept while main has uncommitted changes: waiting, nothing of theirs touched; the next run lands it first', async () => {
    await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    const before = repo.head('main');
    repo.write('README.md', '# demo\nmy edit, not committed\n');
    const accept = await cli('review', 'accept', 'T001', '--json');
    assert.equal(accept.code, 1);
    const r = JSON.parse(accept.stdout) as { outcome: string; reason: string };
    assert.equal(r.outcome, 'waiting');
    assert.match(r.reason, /main has uncommitted changes .*README\.md/);
    assert.equal(repo.head('main'), before);
    assert.equal(repo.read('README.md'), '# demo\nmy edit, not committed\n');
    assert.match(landings(db).T001.state, /^(queued|merging)$/, 'accepted: it stays in the merge queue');
    assert.equal(statuses(db).T001, 'blocked', 'and is not run again meanwhile');

    git(repo.dir, 'commit', '--quiet', '-am', 'my edit');
    const run = await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(agentLog('T001').trim().split('\n').length, 1, 'T001 was not run again');
    assert.equal(git(repo.dir, 'show', 'main:a.txt'), 'line one\nmade by T001');
    assert.equal(git(repo.dir, 'show', 'main:README.md'), '# demo\nmy edit, not committed');
    assert.deepEqual(statuses(db), { T001: 'completed', T002: 'completed' });
  });

  it('through a running daemon: accept merges and the daemon then runs the dependent', async () => {
    const start = await runCli(['daemon', 'start', 'PLAN.md', '--config', 'config.json', '--json'], repo.dir);
    assert.equal(start.code, 0, start.stderr);
    try {
      // Until T001 waits for review (the daemon runs it as soon as it starts).
      const deadline = Date.now() + 120_000;
      let listed: { reviews: { taskId: string }[] } = { reviews: [] };
      while (listed.reviews.length === 0) {
        assert.ok(Date.now() < deadline, 'T001 never reached review');
        listed = JSON.parse((await cli('review', 'list', '--json')).stdout) as typeof listed;
      }
      assert.equal(listed.reviews[0].taskId, 'T001');
      const accept = await cli('review', 'accept', 'T001');
      assert.equal(accept.code, 0, accept.stderr);
      assert.match(accept.stdout, /T001: merged at/);
      // The daemon goes on with the dependent, which lands on main too.
      while (!git(repo.dir, 'ls-tree', '--name-only', 'main').split('\n').includes('b.txt')) {
        assert.ok(Date.now() < deadline, 'T002 never landed');
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(agentLog('T002'), /^attempt 1 /);
    } finally {
      await runCli(['daemon', 'stop', 'PLAN.md'], repo.dir);
    }
    assert.deepEqual(statuses(db), { T001: 'completed', T002: 'completed' });
  });
});
