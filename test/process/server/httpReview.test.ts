// The review routes of the daemon's HTTP API, for real: a daemon on a real git repository with `merge.policy: review`
// and a command agent, real HTTP. List and show what waits, accept (merged into main), reject with a note (the note
// reaches the next attempt, from a fresh branch), retry with a note (the same worktree), and the refusals: no token,
// an unknown task, a task with nothing to review, a bad body.
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type {
  AcceptReviewResult,
  ListReviewsResult,
  RejectReviewResult,
  ShowReviewResult,
  PlanPatchedParams,
  TasksChangedParams,
} from '../../../src/protocol/engineProtocol';
import type { PlanSnapshot, TaskView } from '../../../src/protocol/views';
import { ensureBuilt, runCli } from '../cli/cliHarness';
import { git, tempRepo, type TempRepo } from '../isolation/gitKit';
import { EventStream, http } from './httpKit';

/** Writes `<file>` (from the title, "Write <file>"); logs the attempt, whether the file was there, and the note. */
const AGENT = `
const fs = require('fs'), path = require('path');
const id = process.env.CODITECT_TASK_ID, title = process.env.CODITECT_TASK_TITLE, cwd = process.cwd();
const task = JSON.parse(process.env.CODITECT_TASK_JSON);
const file = /Write ([\\w.]+)/.exec(title)[1];
fs.appendFileSync(path.join(process.env.AGENT_LOG_DIR, id + '.log'), 'attempt found=' + fs.existsSync(path.join(cwd, file)) + ' note=' + (task.previousError || '-') + '\\n');
fs.writeFileSync(path.join(cwd, file), 'line one\\nmade by ' + id + '\\n');
`;

describe('daemon HTTP API: review of task branches (real daemon, real git)', function () {
  this.timeout(180_000);
  let repo: TempRepo;
  let logDir: string;
  let base: string;
  let token: string;
  let stream: EventStream;

  const agentLog = (id: string): string[] =>
    readFileSync(path.join(logDir, `${id}.log`), 'utf8')
      .trim()
      .split('\n');
  const post = (route: string, body: unknown = {}) => http(`${base}${route}`, { method: 'POST', token, body: JSON.stringify(body) });

  /** Resolves once the stream shows `id` entering `status` for the `n`-th time (counted from the first snapshot on). */
  const entered = async (id: string, status: TaskView['status'], n = 1): Promise<void> => {
    let last: string | undefined;
    let times = 0;
    await stream.next((e) => {
      const tasks =
        e.event === 'plan:changed'
          ? (e.data as { snapshot: PlanSnapshot }).snapshot.tasks
          : e.event === 'tasks:changed'
            ? (e.data as TasksChangedParams).tasks
            : e.event === 'plan:patched'
              ? (e.data as PlanPatchedParams).tasks
              : [];
      const now = tasks.find((t) => t.id === id)?.status;
      if (now === undefined) return false;
      if (now === status && last !== status) times++;
      last = now;
      return times >= n;
    }, 120_000);
  };

  before(async () => {
    ensureBuilt();
    repo = tempRepo({ 'README.md': '# demo\n', '.gitignore': '.coditect/\nconfig.json\n' }, 'coditect-http-review-');
    logDir = path.join(repo.root, 'logs');
    mkdirSync(logDir);
    writeFileSync(path.join(logDir, 'agent.js'), AGENT);
    writeFileSync(
      path.join(repo.dir, 'config.json'),
      JSON.stringify({
        default_agent: 'writer',
        agents: {
          writer: { kind: 'command', executable: process.execPath, args: [path.join(logDir, 'agent.js')], stdin: 'none', env: { AGENT_LOG_DIR: logDir } },
        },
        sandbox: { mode: 'auto', writable_paths: [logDir] },
        worktree: { dir: path.join(repo.root, 'worktrees') },
        merge: { policy: 'review' },
        max_concurrent_agents: 1,
      }),
    );
    repo.commit({ 'PLAN.md': ['# Plan', '', '- [ ] T001 Write a.txt', '- [ ] T002 Write b.txt', ''].join('\n') });
    const start = await runCli(['daemon', 'start', 'PLAN.md', '--config', 'config.json', '--http', '127.0.0.1:0', '--json'], repo.dir);
    assert.equal(start.code, 0, start.stderr);
    base = (JSON.parse(start.stdout) as { http: string }).http;
    token = readFileSync(path.join(repo.dir, '.coditect/http-token'), 'utf8').trim();
    stream = await EventStream.open(`${base}/api/events`, token);
  });

  after(async () => {
    stream?.close();
    if (repo) {
      const stop = await runCli(['daemon', 'stop', 'PLAN.md'], repo.dir);
      assert.equal(stop.code, 0, stop.stderr);
      repo.cleanup();
    }
  });

  it('lists and shows the waiting branches, with the token only', async () => {
    await entered('T001', 'blocked');
    await entered('T002', 'blocked');
    assert.equal((await http(`${base}/api/reviews`)).status, 401);
    const list = await http(`${base}/api/reviews`, { token });
    assert.equal(list.status, 200, list.body);
    const reviews = list.json<ListReviewsResult>();
    assert.equal(reviews.isolation, true);
    assert.deepEqual(
      reviews.reviews.map((r) => [r.taskId, r.state, r.stat.text, r.changes.map((c) => c.path)]),
      [
        ['T001', 'awaiting_review', '1 file, +2 −0', ['a.txt']],
        ['T002', 'awaiting_review', '1 file, +2 −0', ['b.txt']],
      ],
    );
    const show = await http(`${base}/api/reviews/T001`, { token });
    assert.equal(show.status, 200, show.body);
    const shown = show.json<ShowReviewResult>();
    assert.match(shown.diff, /^\+made by T001$/m);
    assert.equal(shown.truncated, false);
    assert.equal(shown.review.head, git(repo.dir, 'rev-parse', shown.review.branch));
  });

  it('refuses an unknown task (404), a task with nothing to review (409) and a bad body (400), changing nothing', async () => {
    const before = git(repo.dir, 'rev-parse', 'main');
    const unknown = await post('/api/reviews/T404/accept');
    assert.equal(unknown.status, 404, unknown.body);
    assert.match(unknown.json<{ error: string }>().error, /no task 'T404'/);
    const noNote = await post('/api/reviews/T001/reject', { note: 7 });
    assert.equal(noNote.status, 400);
    assert.match(noNote.json<{ error: string }>().error, /"note" must be text/);
    const extra = await post('/api/reviews/T001/accept', { force: true });
    assert.equal(extra.status, 400);
    assert.match(extra.json<{ error: string }>().error, /unknown field\(s\) "force"/);
    const noConflict = await post('/api/reviews/T001/resolve');
    assert.equal(noConflict.status, 409, noConflict.body);
    assert.match(noConflict.json<{ error: string }>().error, /T001 has no merge conflict to resolve/);
    const wrongMethod = await http(`${base}/api/reviews/T001/accept`, { token });
    assert.equal(wrongMethod.status, 405);
    assert.equal(git(repo.dir, 'rev-parse', 'main'), before, 'nothing merged');
    assert.equal((await http(`${base}/api/reviews`, { token })).json<ListReviewsResult>().reviews.length, 2, 'both still wait');
  });

  it('accept merges into main; then there is nothing left to review for it (409)', async () => {
    const accepted = await post('/api/reviews/T001/accept');
    assert.equal(accepted.status, 200, accepted.body);
    const r = accepted.json<AcceptReviewResult>();
    assert.equal(r.outcome, 'merged', accepted.body);
    assert.equal(r.outcome === 'merged' && r.commit, git(repo.dir, 'rev-parse', 'main'));
    assert.equal(git(repo.dir, 'show', 'main:a.txt'), 'line one\nmade by T001');
    const again = await post('/api/reviews/T001/accept');
    assert.equal(again.status, 409, again.body);
    assert.match(again.json<{ error: string }>().error, /T001 already landed on main; there is nothing to accept/);
  });

  it('reject sends the task back with its note from a fresh branch; retry keeps the worktree and adds the note', async () => {
    const note = 'Write b.txt with a header line';
    const rejected = await post('/api/reviews/T002/reject', { note });
    assert.equal(rejected.status, 200, rejected.body);
    const r = rejected.json<RejectReviewResult>();
    // Back to pending, and the running daemon may have started it again already.
    assert.ok(['pending', 'in_progress'].includes(r.status), r.status);
    assert.match(r.keptBranch ?? '', /^coditect\/T002-.*-rejected-1$/);
    // The daemon runs it again, and it waits for review again.
    await entered('T002', 'blocked', 2);
    const second = agentLog('T002');
    assert.equal(second.length, 2, second.join('\n'));
    assert.equal(second[1], `attempt found=false note=A person rejected the previous result: ${note}`, 'a fresh branch from main, with the note');

    const retried = await post('/api/reviews/T002/retry', { note: 'Keep it, add a second line' });
    assert.equal(retried.status, 200, retried.body);
    assert.ok(['pending', 'in_progress'].includes(retried.json<{ status: string }>().status), retried.body);
    await entered('T002', 'blocked', 3);
    const third = agentLog('T002');
    assert.equal(third.length, 3, third.join('\n'));
    assert.match(third[2], /^attempt found=true note=.*Keep it, add a second line$/, 'the same worktree, the work in place, with the note');
  });
});
