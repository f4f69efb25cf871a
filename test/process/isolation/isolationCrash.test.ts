// Crash safety of per-task isolation with real processes: `coditect run` is SIGKILLed while an agent works in its
// worktree, and while the merge queue checks a merged result; the next run finds the worktree and the branch through
// the database and either resumes the attempt there or lands the branch, never twice, and leaves no orphan worktree.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, runCli, startCli } from '../cli/cliHarness';
import { filesAt, git, subjects, tempRepo, type TempRepo } from './gitKit';

/** Writes `<id>.txt` (saying whether it was already there), then with HOLD waits for a file that never comes. */
const AGENT = `
const fs = require('fs'), path = require('path');
const id = process.env.CODITECT_TASK_ID, dir = process.env.AGENT_LOG_DIR, file = path.join(process.cwd(), id + '.txt');
const log = (s) => fs.appendFileSync(path.join(dir, id + '.log'), s + '\\n');
log((fs.existsSync(file) ? 'found ' : 'fresh ') + process.cwd());
fs.writeFileSync(file, 'made by ' + id + '\\n');
if (process.env.HOLD) {
  fs.writeFileSync(path.join(dir, 'holding-' + id), '');
  setTimeout(() => process.exit(9), 20000);
} else console.log('done');
`;

function landings(dbPath: string): Record<string, { state: string; branch: string }> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const row = db.prepare(`SELECT value FROM engine_state WHERE key = 'isolation.tasks'`).get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as Record<string, { state: string; branch: string }>) : {};
  } finally {
    db.close();
  }
}

/** Resolves when `file` exists in `dir` (fs.watch, not polling). */
function appears(dir: string, file: string): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(dir, () => {
      if (existsSync(path.join(dir, file))) {
        w.close();
        resolve();
      }
    });
    if (existsSync(path.join(dir, file))) {
      w.close();
      resolve();
    }
  });
}

describe('isolation: SIGKILL of the engine and a restart (real CLI, real git)', function () {
  this.timeout(180_000);
  let repo: TempRepo;
  let logDir: string;
  let wtDir: string;

  before(() => ensureBuilt());
  beforeEach(() => {
    repo = tempRepo({ 'README.md': '# demo\n', '.gitignore': '.coditect/\n' }, 'coditect-isocrash-');
    logDir = path.join(repo.root, 'logs');
    wtDir = path.join(repo.root, 'worktrees');
    mkdirSync(logDir);
    writeFileSync(path.join(logDir, 'agent.js'), AGENT);
    repo.commit({ 'PLAN.md': ['# Plan', '', '- [ ] T001 Write it', '  - Verify: test -f T001.txt', ''].join('\n') });
  });
  afterEach(() => repo.cleanup());

  const configFile = (name: string, extra: Record<string, unknown>, env: Record<string, string> = {}): string => {
    const file = path.join(repo.root, name);
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
        lease: { ms: 3000, heartbeat_ms: 500 },
        sandbox: { mode: 'auto', writable_paths: [logDir] },
        worktree: { dir: wtDir },
        ...extra,
      }),
    );
    return file;
  };

  const finishAndCheck = async (): Promise<void> => {
    const r = await runCli(['run', 'PLAN.md', '--config', configFile('fast.json', {})], repo.dir);
    assert.equal(r.code, 0, `restart did not finish:\n${r.stdout}\n${r.stderr}`);
    assert.deepEqual(filesAt(repo.dir, 'main'), ['.gitignore', 'PLAN.md', 'README.md', 'T001.txt']);
    assert.equal(subjects(repo.dir, 'main').filter((s) => s.startsWith('Merge coditect/T001')).length, 1, 'merged exactly once');
    assert.equal(landings(path.join(repo.dir, '.coditect', 'context.db')).T001.state, 'merged');
    assert.deepEqual(readdirSync(path.join(wtDir, 'tasks')), [], 'no orphan worktree');
    assert.doesNotMatch(git(repo.dir, 'worktree', 'list', '--porcelain'), /prunable/);
    assert.match(repo.read('PLAN.md'), /- \[x\] T001/);
  };

  it('killed while the agent works: the restart resumes in the same worktree (its work kept) and lands it once', async () => {
    const child = startCli(['run', 'PLAN.md', '--config', configFile('hold.json', {}, { HOLD: '1' })], repo.dir);
    await appears(logDir, 'holding-T001');
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(landings(path.join(repo.dir, '.coditect', 'context.db')).T001.state, 'working');

    await finishAndCheck();
    const log = readFileSync(path.join(logDir, 'T001.log'), 'utf8').trim().split('\n');
    assert.deepEqual(
      log.map((l) => l.split(' ')[0]),
      ['fresh', 'found'],
      `the second attempt ran in the first one's worktree: ${log.join(' | ')}`,
    );
  });

  it('killed while the merge queue checks the merged result: the restart lands the branch once', async () => {
    const child = startCli(['run', 'PLAN.md', '--config', configFile('slow.json', { merge: { verify: 'sleep 20' } })], repo.dir);
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/T001: checking coditect\/T001-write-it merged into main/.test(stderr)) resolve();
      });
    });
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(landings(path.join(repo.dir, '.coditect', 'context.db')).T001.state, 'merging');
    assert.deepEqual(filesAt(repo.dir, 'main'), ['.gitignore', 'PLAN.md', 'README.md'], 'nothing landed before the checks passed');

    await finishAndCheck();
    // The restart landed the branch without running the agent again.
    assert.equal(readFileSync(path.join(logDir, 'T001.log'), 'utf8').trim().split('\n').length, 1);
  });
});
