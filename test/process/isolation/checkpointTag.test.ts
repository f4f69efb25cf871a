// Checkpoint tags with isolation, with the real CLI on a real git repository: when a feature's (and its epic's) last
// task has landed, `checkpoint.git_tag` puts an annotated tag on the integration branch's tip — where the work is —
// even when the person has another branch checked out in the workspace.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt, runCli } from '../cli/cliHarness';
import { git, tempRepo, type TempRepo } from './gitKit';

/** Writes `<file>` (from the title, "Write <file>") in its working directory. */
const AGENT = `
const fs = require('fs'), path = require('path');
const file = /Write ([\\w.]+)/.exec(process.env.CODITECT_TASK_TITLE)[1];
fs.writeFileSync(path.join(process.cwd(), file), 'made by ' + process.env.CODITECT_TASK_ID + '\\n');
`;

describe('isolation: checkpoint tags on the integration branch (real CLI, real git)', function () {
  this.timeout(120_000);
  let repo: TempRepo;

  before(() => ensureBuilt());
  afterEach(() => repo?.cleanup());

  it('tags the integration branch where the feature landed, not the branch the person has checked out', async () => {
    repo = tempRepo({ 'README.md': '# demo\n', '.gitignore': '.coditect/\nconfig.json\n' }, 'coditect-checkpoint-');
    const agentDir = path.join(repo.root, 'agent');
    mkdirSync(agentDir);
    writeFileSync(path.join(agentDir, 'agent.js'), AGENT);
    writeFileSync(
      path.join(repo.dir, 'config.json'),
      JSON.stringify({
        default_agent: 'writer',
        agents: { writer: { kind: 'command', executable: process.execPath, args: [path.join(agentDir, 'agent.js')], stdin: 'none' } },
        sandbox: { mode: 'auto', writable_paths: [agentDir] },
        worktree: { dir: path.join(repo.root, 'worktrees') },
        base_branch: 'main',
        checkpoint: { git_tag: true },
      }),
    );
    repo.commit({
      'PLAN.md': ['# Plan', '', '## E001: Notes', '', '### F001.01: Files', '', '- [ ] T001.001 Write a.txt', '- [ ] T001.002 Write b.txt', ''].join('\n'),
    });
    // The person works on a branch of their own: HEAD is not the integration branch.
    git(repo.dir, 'checkout', '--quiet', '-b', 'person');
    const person = repo.head('person');

    const run = await runCli(['run', 'PLAN.md', '--config', 'config.json'], repo.dir);
    assert.equal(run.code, 0, run.stderr);
    const main = repo.head('main');
    assert.notEqual(main, person, 'the tasks landed on main');
    assert.deepEqual(git(repo.dir, 'ls-tree', '--name-only', 'main').split('\n').sort(), ['.gitignore', 'PLAN.md', 'README.md', 'a.txt', 'b.txt']);
    for (const id of ['F001.01', 'E001']) {
      const tag = `coditect/checkpoint/${id}`;
      assert.equal(git(repo.dir, 'cat-file', '-t', tag), 'tag', `${tag} is an annotated tag`);
      assert.equal(git(repo.dir, 'rev-parse', `${tag}^{commit}`), main, `${tag} marks main's tip, where the work is`);
      assert.match(git(repo.dir, 'tag', '-l', '--format=%(contents:subject)', tag), new RegExp(`^(feature|epic) ${id.replace('.', '\\.')} .* completed$`));
    }
    assert.equal(repo.head('HEAD'), person, "the person's checkout is untouched");
  });
});
