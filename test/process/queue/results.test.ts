// queue.results (docs/server.md#file-changes) with real parts: a redis-server, real git repositories (a bare remote,
// the coordinator's clone, the worker's own clone), the built `coditect run` as the coordinator and a `coditect worker`.
// What is asserted is where an attempt's files end up: in the coordinator's tree (patch), on the remote as the attempt's
// branch (branch), and nowhere when the patch does not fit (the attempt fails, the patch kept) — never in the worker's
// checkout, and each attempt in a worktree of its own.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTaskList } from '../../bench/generatePlan';
import { cliEnv, ensureBuilt, removeWorkspace, startCli, tempWorkspace } from '../cli/cliHarness';
import { dbRows, Proc } from './procKit';
import { RedisServer } from './redisKit';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args], { cwd, encoding: 'utf8' }).trim();

// Each task writes its own file and marks its own line of STATUS.md (a tracked file every task changes, each in its own
// place); it fails when it sees another attempt's file (its worktree is not its own then).
const AGENT_SCRIPT =
  'if ls out-*.txt >/dev/null 2>&1; then echo "another attempt\'s file is here: $(ls out-*.txt)" >&2; exit 1; fi; ' +
  'echo "$CODITECT_TASK_ID was made on a worker" > "out-$CODITECT_TASK_ID.txt"; ' +
  'sed -i "s/^$CODITECT_TASK_ID: todo$/$CODITECT_TASK_ID: done/" STATUS.md; echo "wrote out-$CODITECT_TASK_ID.txt"';

/** STATUS.md: a `<id>: todo` line per task, far enough apart that the tasks' patches do not touch each other's context. */
const statusOf = (ids: string[], state: (id: string) => string): string => ids.map((id) => `${id}: ${state(id)}\n${'.\n'.repeat(7)}`).join('');

describe('queue.results: an attempt’s changes come back from the worker (real redis-server, git, coordinator and worker)', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  const dirs: string[] = [];
  const procs: Proc[] = [];

  before(async () => {
    ensureBuilt();
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  });
  after(async () => {
    await redis?.remove();
    dirs.forEach(removeWorkspace);
  });

  const start = (args: string[], dir: string): Proc => {
    const p = new Proc(startCli(args, dir, cliEnv()));
    procs.push(p);
    return p;
  };

  /** A bare remote, the coordinator's clone with the plan and config committed, and a worker's clone of it. */
  function repos(prefix: string, results: 'patch' | 'branch', tasks: number) {
    const { text, ids } = generateTaskList({ tasks, tasksPerFeature: tasks, featuresPerEpic: 1, seed: 3, chainProbability: 0 });
    const config = {
      agent_mappings: {},
      epic_fallbacks: {},
      fallback_agent_type: 'runner',
      default_agent: 'writer',
      agents: { writer: { kind: 'command', executable: '/bin/sh', args: ['-c', AGENT_SCRIPT] } },
      max_concurrent_agents: 4,
      sandbox: { mode: 'off' },
      retry: { max_attempts: 1 },
      queue: { kind: 'redis', url: redis.url, prefix, results, remote: 'origin' },
    };
    const root = mkdtempSync(join(tmpdir(), 'coditect-results-'));
    dirs.push(root);
    const remote = join(root, 'remote.git');
    git(root, 'init', '--quiet', '--bare', '-b', 'main', remote);
    const coordinator = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(config) });
    dirs.push(coordinator);
    git(coordinator, 'init', '--quiet', '-b', 'main');
    writeFileSync(join(coordinator, '.gitignore'), '.coditect/\n');
    writeFileSync(
      join(coordinator, 'STATUS.md'),
      statusOf(ids, () => 'todo'),
    );
    git(coordinator, 'add', 'README.md', 'STATUS.md', '.gitignore', 'PLAN-TASKLIST.md', 'config.json');
    git(coordinator, 'commit', '--quiet', '-m', 'plan');
    git(coordinator, 'remote', 'add', 'origin', remote);
    git(coordinator, 'push', '--quiet', 'origin', 'main');
    const worker = join(root, 'worker');
    git(root, 'clone', '--quiet', remote, worker);
    return { ids, remote, coordinator, worker };
  }

  const startWorker = async (dir: string, concurrency: number): Promise<Proc> => {
    const w = start(['worker', '--config', 'config.json', '--concurrency', String(concurrency)], dir);
    await w.line(/INFO +worker \S+ on redis:\/\//);
    return w;
  };

  it('patch: each attempt runs in its own worktree; its changes are applied to the coordinator’s tree; the worker’s checkout stays clean', async () => {
    const { ids, coordinator, worker } = repos('patch', 'patch', 4);
    await startWorker(worker, 4);
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], coordinator);
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr.slice(-3000));

    const attempts = dbRows<{ task_id: string; status: string; summary: string }>(coordinator, 'SELECT task_id, status, summary FROM agent_execution_log');
    assert.equal(attempts.length, ids.length, 'one attempt per task');
    for (const id of ids) {
      const a = attempts.filter((x) => x.task_id === id);
      assert.deepEqual(
        a.map((x) => x.status),
        ['completed'],
        id,
      );
      assert.match(
        a[0].summary,
        new RegExp(`changes applied to this tree from the worker's patch, 2 file\\(s\\): (STATUS\\.md, out-${id}\\.txt|out-${id}\\.txt, STATUS\\.md)`),
      );
      assert.equal(readFileSync(join(coordinator, `out-${id}.txt`), 'utf8'), `${id} was made on a worker\n`);
    }
    // Four patches of one file, each applied on top of the others.
    assert.equal(
      readFileSync(join(coordinator, 'STATUS.md'), 'utf8'),
      statusOf(ids, () => 'done'),
    );
    assert.deepEqual(readdirSync(join(coordinator, '.coditect/results')), [], 'no patch kept: all applied');
    // The worker's checkout: untouched, no worktree left behind.
    assert.equal(git(worker, 'status', '--porcelain'), '');
    assert.equal(git(worker, 'worktree', 'list').split('\n').length, 1, git(worker, 'worktree', 'list'));
  });

  it('branch: the attempt’s commit is pushed to queue.remote as coditect/results/<task>/attempt-<id>; the coordinator checks it and records it', async () => {
    const { ids, remote, coordinator, worker } = repos('branch', 'branch', 1);
    await startWorker(worker, 1);
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], coordinator);
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr.slice(-3000));
    const [a] = dbRows<{ id: number; status: string; summary: string }>(coordinator, 'SELECT log_id AS id, status, summary FROM agent_execution_log');
    assert.equal(a.status, 'completed');
    const branch = `coditect/results/${ids[0]}/attempt-${a.id}`;
    const head = git(remote, 'rev-parse', `refs/heads/${branch}`);
    assert.match(a.summary, new RegExp(`changes pushed to origin as branch ${branch.replace(/\./g, '\\.')} \\(commit ${head.slice(0, 12)}\\), 2 file\\(s\\)`));
    assert.equal(git(remote, 'show', `${branch}:out-${ids[0]}.txt`), `${ids[0]} was made on a worker`);
    assert.equal(git(remote, 'rev-parse', `${branch}^`), git(coordinator, 'rev-parse', 'HEAD'), 'the branch starts from the coordinator’s commit');
    assert.equal(existsSync(join(coordinator, `out-${ids[0]}.txt`)), false, 'a branch is not applied to the coordinator’s tree');
    assert.equal(git(worker, 'status', '--porcelain'), '');
    assert.equal(git(worker, 'worktree', 'list').split('\n').length, 1);
  });

  it('patch that does not fit the coordinator’s tree: nothing is applied, the attempt fails with git’s reason, the patch is kept', async () => {
    const { ids, coordinator, worker } = repos('conflict', 'patch', 1);
    // The coordinator's tree already has the file the agent will create (untracked, other content).
    writeFileSync(join(coordinator, `out-${ids[0]}.txt`), 'a person’s own file\n');
    await startWorker(worker, 1);
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], coordinator);
    const { code } = await run.exited;
    assert.equal(code, 1, run.stderr.slice(-3000));
    const [a] = dbRows<{ id: number; status: string; error: string; error_kind: string }>(
      coordinator,
      'SELECT log_id AS id, status, error, error_kind FROM agent_execution_log',
    );
    assert.equal(a.status, 'failed');
    assert.equal(a.error_kind, 'fatal');
    assert.match(a.error, /its patch does not apply to .* \(kept in .*attempt-\d+\.patch\).*already exists in working directory/s);
    assert.equal(readFileSync(join(coordinator, `out-${ids[0]}.txt`), 'utf8'), 'a person’s own file\n', 'the person’s file untouched');
    assert.equal(
      readFileSync(join(coordinator, 'STATUS.md'), 'utf8'),
      statusOf(ids, () => 'todo'),
      'all or nothing: STATUS.md untouched too',
    );
    const kept = join(coordinator, '.coditect/results', `${ids[0]}-attempt-${a.id}.patch`);
    assert.match(readFileSync(kept, 'utf8'), new RegExp(`\\+${ids[0].replace(/\./g, '\\.')} was made on a worker`));
    rmSync(kept);
  });
});
