// What a person approving sees (#11): the files the gated work changed, from git (an isolated attempt's branch
// against its base), not from what the agent says. The real `coditect run` on a real git repository with a command
// agent that writes two files but reports none: the pause_after summary names them, a waiting `Gate: review` lists
// them in `status` (text and --json), and the attempt row keeps them as files_changed.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, runCli } from '../cli/cliHarness';
import { tempRepo, type TempRepo } from './gitKit';

/** Writes `src/<id>.ts` and `docs/<id>.md` in its cwd and says nothing about them. */
const AGENT = `
const fs = require('fs'), path = require('path');
const id = process.env.CODITECT_TASK_ID;
fs.mkdirSync('src', { recursive: true }); fs.mkdirSync('docs', { recursive: true });
fs.writeFileSync(path.join('src', id + '.ts'), 'export const x = 1;\\n');
fs.writeFileSync(path.join('docs', id + '.md'), '# ' + id + '\\n');
console.log('done');
`;

describe('the files gated work changed (real CLI, real git)', function () {
  this.timeout(180_000);
  let repo: TempRepo;
  let config: string;

  before(() => ensureBuilt());
  beforeEach(() => {
    repo = tempRepo({ 'README.md': '# demo\n', '.gitignore': '.coditect/\n' }, 'coditect-files-');
    const tools = path.join(repo.root, 'tools');
    mkdirSync(tools);
    writeFileSync(path.join(tools, 'agent.js'), AGENT);
    config = path.join(repo.root, 'config.json');
    const base = {
      default_agent: 'writer',
      agents: { writer: { kind: 'command', executable: process.execPath, args: [path.join(tools, 'agent.js')], stdin: 'none' } },
      // The agent's script lies in a path the sandbox lets agents see (it hides the rest of /tmp).
      sandbox: { mode: 'auto', writable_paths: [tools] },
      worktree: { dir: path.join(repo.root, 'worktrees') },
    };
    writeFileSync(config, JSON.stringify({ ...base, pause_after: { tasks: 1 } }));
  });
  afterEach(() => repo.cleanup());

  it('the pause_after summary names the files the completed task changed', async () => {
    repo.commit({ 'PLAN.md': ['# Plan', '', '- [ ] T001 Build the parser', '- [ ] T002 Wire it in', '  - Depends on: T001', ''].join('\n') });
    const r = await runCli(['run', 'PLAN.md', '--config', config, '--json'], repo.dir);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.equal(out.outcome, 'paused');
    assert.equal(out.pausedFor, 'pause_after: 1 task completed since the last look; done: T001; changed docs/T001.md, src/T001.ts; 0 failed');
  });

  it('a waiting Gate: review lists what its branch changed; the attempt row keeps it', async () => {
    repo.commit({
      'PLAN.md': ['# Plan', '', '- [ ] T001 Build the parser', '  - Gate: review', '- [ ] T002 Wire it in', '  - Depends on: T001', ''].join('\n'),
    });
    const r = await runCli(['run', 'PLAN.md', '--config', config, '--json'], repo.dir);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).outcome, 'stalled');

    const status = JSON.parse((await runCli(['status', 'PLAN.md', '--config', config, '--json'], repo.dir)).stdout);
    assert.deepEqual(status.gates.waiting, [
      { id: 'T001', kind: 'review', title: 'Build the parser', line: 3, holds: 1, files: ['docs/T001.md', 'src/T001.ts'] },
    ]);
    const text = (await runCli(['status', 'PLAN.md', '--config', config], repo.dir)).stdout;
    assert.match(text, /waiting for approval: T001 "Build the parser" \(Gate: review, holds 1 task; changed docs\/T001\.md, src\/T001\.ts\): coditect approve/);

    const db = new Database(path.join(repo.dir, '.coditect', 'context.db'), { readonly: true });
    try {
      const row = db.prepare(`SELECT files_changed FROM agent_execution_log WHERE task_id = 'T001' ORDER BY log_id DESC LIMIT 1`).get() as {
        files_changed: string;
      };
      assert.deepEqual(JSON.parse(row.files_changed), ['docs/T001.md', 'src/T001.ts']);
    } finally {
      db.close();
    }
  });
});
