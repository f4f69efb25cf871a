// The isolation benchmark (#10, `npm run bench -- --isolation`): on a real git repository of 5,000 files, what a
// task's worktree costs (the engine's WorktreeManager: `git worktree add` of a new branch, locked, then removed) and
// how many small non-conflicting branches the merge queue lands per minute (the engine's Merger: merge --no-ff in the
// scratch worktree, then the compare-and-swap fast-forward of main, whose checkout follows). Real git, no set-up
// command, no checks: the floor every task pays. Two baselines measured in the same run, since this machine's file
// system swings by 10× under load: a bare `git worktree add`/`remove` beside each engine one, and the whole
// `coditect run` of the same tasks with `isolation: none`, for the per-task overhead of isolation.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Git } from '../../src/engine/isolation/git';
import { Merger } from '../../src/engine/isolation/merger';
import { WorktreeManager } from '../../src/engine/isolation/worktrees';

const ENGINE = { name: 'CODITECT', email: 'coditect@localhost' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, GIT_AUTHOR_NAME: 'Pat', GIT_AUTHOR_EMAIL: 'pat@example.com', GIT_COMMITTER_NAME: 'Pat', GIT_COMMITTER_EMAIL: 'pat@example.com' },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** A repository on `main` with `files` small source files in 50 folders, one commit. */
function bigRepo(root: string, files: number): string {
  const dir = join(root, 'repo');
  mkdirSync(dir);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  for (let i = 0; i < files; i++) {
    const folder = join(dir, 'src', `m${i % 50}`);
    if (i < 50) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}.ts`), `export const v${i} = ${i};\n// a line of source for the checkout to write\n`);
  }
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '-m', 'initial');
  return dir;
}

/**
 * Figures: worktree creation and removal p50/p95 (ms) over `iterations` tasks, and merges per minute over `branches`
 * branches that each add one file (made beforehand with plumbing, not timed).
 */
export async function scenarioIsolation(files: number, branches: number, iterations: number): Promise<Record<string, number>> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'coditect-bench-isolation-')));
  try {
    const dir = bigRepo(root, files);
    const repo = new Git({ cwd: dir });
    const manager = new WorktreeManager({
      repo,
      toplevel: dir,
      commonDir: join(dir, '.git'),
      dir: join(root, 'worktrees'),
      branchPrefix: 'coditect/',
      setup: { copy: [], link: [] },
      env: process.env,
    });
    const base = git(dir, 'rev-parse', 'main');

    // Worktrees: create (new branch at main, locked) then remove, as each task's attempt and landing do.
    const create: number[] = [];
    const remove: number[] = [];
    const bare: number[] = [];
    const ratio: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const id = `T${i}`;
      let t = performance.now();
      const wt = await manager.create(id, manager.branchName(id, `bench task ${i}`), base);
      const engineMs = performance.now() - t;
      create.push(engineMs);
      t = performance.now();
      await manager.remove(wt.path);
      remove.push(performance.now() - t);
      // The floor beside it: git alone, the same checkout, at the same moment of the machine's load.
      const barePath = join(root, `bare-${i}`);
      t = performance.now();
      git(dir, 'worktree', 'add', '--quiet', '--lock', '-b', `bare/${i}`, barePath, base);
      const bareMs = performance.now() - t;
      bare.push(bareMs);
      ratio.push(engineMs / bareMs);
      git(dir, 'worktree', 'remove', '--force', '--force', barePath);
    }

    // Branches for the queue: each adds its own file on top of main (plumbing: no checkout, not timed).
    const tree = git(dir, 'rev-parse', 'main^{tree}');
    for (let i = 0; i < branches; i++) {
      const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: `branch ${i}\n`, encoding: 'utf8' }).trim();
      const index = join(root, `index-${i}`);
      const env = { ...process.env, GIT_INDEX_FILE: index };
      execFileSync('git', ['read-tree', tree], { cwd: dir, env });
      execFileSync('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},added/b${i}.txt`], { cwd: dir, env });
      const t = execFileSync('git', ['write-tree'], { cwd: dir, env, encoding: 'utf8' }).trim();
      const c = git(dir, 'commit-tree', t, '-p', base, '-m', `T${i}: bench branch`);
      git(dir, 'update-ref', `refs/heads/bench/b${i}`, c);
      rmSync(index, { force: true });
    }
    const merger = new Merger({
      repo,
      baseBranch: 'main',
      strategy: 'merge',
      identity: ENGINE,
      engineOwnedPaths: [],
      scratch: async () => manager.gitFor(await manager.scratch('merge', (await repo.commitOf('refs/heads/main'))!)),
      env: process.env,
    });
    const each: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < branches; i++) {
      const t = performance.now();
      const out = await merger.merge({ taskId: `T${i}`, title: 'bench branch', branch: `bench/b${i}` });
      if (out.kind !== 'merged') throw new Error(`bench: branch ${i} did not merge (${out.kind})`);
      each.push(performance.now() - t);
    }
    const totalMs = performance.now() - t0;
    const landed = git(dir, 'ls-tree', '--name-only', 'main', 'added/').split('\n').filter(Boolean).length;
    if (landed !== branches) throw new Error(`bench: main has ${landed} of the ${branches} branches' files`);
    return {
      files,
      iterations,
      branches,
      createP50Ms: percentile(create, 50),
      createP95Ms: percentile(create, 95),
      bareCreateP50Ms: percentile(bare, 50),
      createOverBare: percentile(ratio, 50),
      removeP50Ms: percentile(remove, 50),
      removeP95Ms: percentile(remove, 95),
      mergesPerMinute: (branches / totalMs) * 60_000,
      mergeP50Ms: percentile(each, 50),
      mergeP95Ms: percentile(each, 95),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The agent of the overhead runs: writes `<task id>.txt` in its working directory (the task's worktree, or the repository). */
const WRITER = `require('fs').writeFileSync(process.env.CODITECT_TASK_ID + '.txt', 'made by ' + process.env.CODITECT_TASK_ID + '\\n');\n`;

/** Runs the built CLI (`bin/coditect.js` beside dist/) to its end; rejects on a non-zero exit with its output. */
function runCoditect(cli: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench: coditect ${args.join(' ')} exited ${code}:\n${out.slice(-3000)}`))));
  });
}

/**
 * The per-task cost of isolation as a person pays it: `coditect run` of `tasks` independent one-file tasks (a command
 * agent, one at a time, no Verify, the sandbox off in both so the figure is isolation's alone) on a fresh clone of a
 * repository of `files` files, with `isolation: worktree` (worktree, engine commit, merge queue, cleanup) and with
 * `isolation: none`, alternating, `pairs` times each. Figures: median wall time of each, and their difference per task.
 */
export async function scenarioIsolationOverhead(files: number, tasks: number, pairs: number): Promise<Record<string, number>> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'coditect-bench-overhead-')));
  const cli = join(__dirname, '..', 'bin', 'coditect.js');
  try {
    const origin = bigRepo(root, files);
    const plan = ['# Plan', '', ...Array.from({ length: tasks }, (_, i) => `- [ ] T${String(i + 1).padStart(3, '0')} Write a file`), ''].join('\n');
    writeFileSync(join(origin, 'PLAN.md'), plan);
    writeFileSync(join(origin, '.gitignore'), '.coditect/\n');
    git(origin, 'add', 'PLAN.md', '.gitignore');
    git(origin, 'commit', '--quiet', '-m', 'the plan');
    const agent = join(root, 'writer.js');
    writeFileSync(agent, WRITER);
    const wall: Record<'worktree' | 'none', number[]> = { worktree: [], none: [] };
    for (let i = 0; i < pairs; i++) {
      for (const mode of i % 2 === 0 ? (['none', 'worktree'] as const) : (['worktree', 'none'] as const)) {
        const dir = join(root, `run-${i}-${mode}`);
        git(root, 'clone', '--quiet', origin, dir);
        const config = join(root, `config-${i}-${mode}.json`);
        writeFileSync(
          config,
          JSON.stringify({
            default_agent: 'writer',
            agents: { writer: { kind: 'command', executable: process.execPath, args: [agent], stdin: 'none' } },
            max_concurrent_agents: 1,
            isolation: mode,
            sandbox: { mode: 'off' },
            worktree: { dir: join(root, `worktrees-${i}`) },
          }),
        );
        const t = performance.now();
        await runCoditect(cli, ['run', 'PLAN.md', '--config', config], dir);
        wall[mode].push(performance.now() - t);
        // Each task's file is on main (worktree: merged, checkout followed; none: written in place).
        const made = Array.from({ length: tasks }, (_, k) => `T${String(k + 1).padStart(3, '0')}.txt`).filter(
          (f) => git(dir, 'ls-files', '--others', '--cached', '--', f) !== '',
        );
        if (made.length !== tasks) throw new Error(`bench: ${mode} run ${i} left ${made.length} of ${tasks} files`);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const med = (xs: number[]): number => percentile(xs, 50);
    return {
      overheadTasks: tasks,
      overheadPairs: pairs,
      runNoneMs: med(wall.none),
      runWorktreeMs: med(wall.worktree),
      overheadPerTaskMs: (med(wall.worktree) - med(wall.none)) / tasks,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
