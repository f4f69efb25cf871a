// The `coditect` CLI as a user runs it: the built bundle in a real child process, on real files and a real context.db.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateTaskList } from '../../bench/generatePlan';
import { cliEnv, ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from './cliHarness';

const EXAMPLE = readFileSync(join(ROOT, 'resources/examples/PROJECT-TASKLIST.md'), 'utf8');
const SPECKIT = readFileSync(join(ROOT, 'resources/examples/speckit/tasks.md'), 'utf8');

const SMALL = `# Small plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P1, 2h)
- [ ] **T001.002** Publisher service (P0, 4h)
  - Depends on: T001.001
- [x] **T001.003** Write the design note (P2, 1h)

### F001.02: Docs

- [ ] **T001.004** Document the API (P3, 1h)
  - Depends on: T001.002
`;

const BROKEN = `# Broken plan

## E001: Core

- [ ] **T001.001** First (P0)
  - Depends on: T001.002
- [ ] **T001.002** Second (P1)
  - Depends on: T001.001
- [ ] **T001.003** Third
  - Depends on: T009.999
- [ ] **T001.003** Duplicate of the third
`;

describe('coditect CLI (built bundle, real processes)', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  const ws = (files: Record<string, string>): string => {
    const d = tempWorkspace(files);
    dirs.push(d);
    return d;
  };
  before(() => ensureBuilt());
  after(() => dirs.forEach(removeWorkspace));

  it('validate --json on the example plan: counts and no errors, exit 0', async () => {
    const dir = ws({ 'PROJECT-TASKLIST.md': EXAMPLE });
    const r = await runCli(['validate', 'PROJECT-TASKLIST.md', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.counts, { epics: 10, features: 35, tasks: 122, completed: out.counts.completed });
    assert.ok(out.counts.completed > 0);
    assert.equal(out.ok, true);
    assert.equal(out.dialect, 'coditect');
  });

  it('validate reads a Spec Kit tasks.md as it is', async () => {
    const dir = ws({ 'tasks.md': SPECKIT });
    const r = await runCli(['validate', 'tasks.md', '--json'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.dialect, 'speckit');
    assert.equal(out.counts.tasks, 26);
  });

  it('validate on a broken list: cycle, unknown id and duplicate id with 1-based lines, exit 1', async () => {
    const dir = ws({ 'TASKLIST.md': BROKEN });
    const r = await runCli(['validate', 'TASKLIST.md', '--json'], dir);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, false);
    const codes = out.diagnostics.map((d: { code: string }) => d.code);
    for (const c of ['dependency-cycle', 'unknown-dependency', 'duplicate-id']) assert.ok(codes.includes(c), `missing ${c} in ${codes.join(', ')}`);
    const unknown = out.diagnostics.find((d: { code: string }) => d.code === 'unknown-dependency');
    assert.equal(unknown.line, 10, 'the Depends on: line of T001.003, 1-based');
    assert.match(unknown.message, /T009\.999/);
    // Human output names file:line:col.
    const human = await runCli(['validate', 'TASKLIST.md'], dir);
    assert.equal(human.code, 1);
    assert.match(human.stderr, /TASKLIST\.md:10:\d+: (error|warning) \[unknown-dependency\]/);
  });

  it('bad usage exits 2 and names the bad argument', async () => {
    const dir = ws({});
    const r1 = await runCli(['frobnicate', 'x.md'], dir);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /unknown command 'frobnicate'/);
    const r2 = await runCli(['run', 'x.md', '--concurrency', 'lots'], dir);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--concurrency expects a positive integer, got 'lots'/);
    const r3 = await runCli(['validate', 'missing.md'], dir);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /missing\.md/);
  });

  it('next --json lists ready tasks in dispatch order with the routing decision', async () => {
    const dir = ws({ 'TASKLIST.md': SMALL });
    const r = await runCli(['next', 'TASKLIST.md', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.ready.map((t: { id: string }) => t.id),
      ['T001.001'],
      'T001.002 waits for T001.001, T001.004 for T001.002, T001.003 is done',
    );
    const t = out.ready[0];
    assert.equal(t.line, 7);
    assert.equal(typeof t.agent, 'string');
    assert.ok(t.rule && t.reason, 'each decision says why');
    assert.equal(t.unblocks, 2);
  });

  it('next --json says which ready task waits for another naming the same files, and why', async () => {
    const plan = [
      '# Plan',
      '',
      '- [ ] T001 Create the User model in src/models/user.py',
      '- [ ] T002 Add validation to src/models/user.py',
      '- [ ] T003 Write the guide',
      '  - Files: docs/',
      '',
    ].join('\n');
    const dir = ws({ 'TASKLIST.md': plan });
    const r = await runCli(['next', 'TASKLIST.md', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const ready = JSON.parse(r.stdout).ready as { id: string; files?: string[]; heldBy?: unknown }[];
    assert.deepEqual(
      ready.map((t) => [t.id, t.files, t.heldBy]),
      [
        ['T001', ['src/models/user.py'], undefined],
        [
          'T002',
          ['src/models/user.py'],
          { task: 'T001', running: false, paths: ['src/models/user.py'], reason: 'waits for T001 (starts first): both name src/models/user.py' },
        ],
        ['T003', ['docs/'], undefined],
      ],
    );
    const text = await runCli(['next', 'TASKLIST.md'], dir);
    assert.match(text.stdout, /T002[^]*waits for T001 \(starts first\): both name src\/models\/user\.py/);
  });

  it('graph --json gives nodes, edges with their source, and the critical path', async () => {
    const dir = ws({ 'TASKLIST.md': SMALL });
    const r = await runCli(['graph', 'TASKLIST.md', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.nodes.length, 4);
    assert.deepEqual(out.edges.map((e: { from: string; to: string; source: string }) => `${e.from}>${e.to}:${e.source}`).sort(), [
      'T001.002>T001.001:explicit',
      'T001.004>T001.002:explicit',
    ]);
    assert.deepEqual(out.criticalPath.ids, ['T001.001', 'T001.002', 'T001.004']);
  });

  it('reading commands (validate, status, next, graph, export, ids, reconcile, cost, backup, restore, review list, with and without --json) never write the markdown nor the database', async () => {
    // Everything a sync would change: tasks without ids (this dialect writes them), a hand-typed [/] (reverted by sync).
    const plan = `# Plan\n\n## E001: Core\n\n### F001.01: Bus\n\n- [ ] **T001.001** Provision the bus\n- [ ] Publisher without an id\n- [/] Consumer typed as running\n- [X] Done by hand\n`;
    const dir = ws({ 'TASKLIST.md': plan });
    const file = join(dir, 'TASKLIST.md');
    const past = new Date('2026-01-01T00:00:00Z');
    utimesSync(file, past, past);
    const reading = [['validate'], ['status'], ['next'], ['graph'], ['export', '--out', join(dir, 'items.json')], ['ids']];
    for (const cmd of reading) {
      for (const extra of [[], ['--json']]) {
        const r = await runCli([cmd[0], 'TASKLIST.md', ...cmd.slice(1), ...extra], dir);
        assert.equal(r.code, 0, `${cmd.join(' ')} ${extra.join(' ')}: ${r.stderr}`);
        assert.equal(readFileSync(file, 'utf8'), plan, `${cmd[0]} ${extra.join(' ')} changed the markdown`);
        assert.equal(statSync(file).mtimeMs, past.getTime(), `${cmd[0]} ${extra.join(' ')} touched the markdown`);
      }
    }
    // The writer does write it (so the check above could fail): ids for the id-less tasks.
    const r = await runCli(['sync', 'TASKLIST.md'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(readFileSync(file, 'utf8'), plan);

    // The commands that read the database write neither the markdown nor the database (a backup is a new file).
    const synced = readFileSync(file, 'utf8');
    utimesSync(file, past, past);
    const db = join(dir, '.coditect', 'context.db');
    const dbBytes = readFileSync(db);
    const dbReading = [['reconcile'], ['cost'], ['backup'], ['restore'], ['review', 'list']];
    for (const cmd of dbReading) {
      for (const extra of [[], ['--json']]) {
        const args = cmd[0] === 'review' ? ['review', 'list', 'TASKLIST.md'] : [cmd[0], 'TASKLIST.md', ...cmd.slice(1)];
        const rr = await runCli([...args, ...extra], dir);
        assert.equal(rr.code, 0, `${cmd.join(' ')} ${extra.join(' ')}: ${rr.stderr}`);
        assert.equal(readFileSync(file, 'utf8'), synced, `${cmd.join(' ')} ${extra.join(' ')} changed the markdown`);
        assert.equal(statSync(file).mtimeMs, past.getTime(), `${cmd.join(' ')} ${extra.join(' ')} touched the markdown`);
        assert.ok(readFileSync(db).equals(dbBytes), `${cmd.join(' ')} ${extra.join(' ')} changed the database`);
      }
    }
  });

  it('ids lists the ids a checklist without ids is known by; ids --write writes them (never into a finished task)', async () => {
    const plan = '# TODO\n\n- [ ] Paint the fence\n- [x] Fix the tap\n- [ ] File the report\n';
    const dir = ws({ 'TODO.md': plan });
    const listed = await runCli(['ids', 'TODO.md', '--json'], dir);
    assert.equal(listed.code, 0, listed.stderr);
    const out = JSON.parse(listed.stdout);
    assert.equal(out.written, 0);
    assert.deepEqual(
      out.unnamed.map((u: { line: number; title: string }) => [u.line, u.title]),
      [
        [3, 'Paint the fence'],
        [4, 'Fix the tap'],
        [5, 'File the report'],
      ],
    );
    assert.equal(readFileSync(join(dir, 'TODO.md'), 'utf8'), plan);
    const w = await runCli(['ids', 'TODO.md', '--write'], dir);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /wrote 2 id\(s\)/);
    const ids = out.unnamed.map((u: { id: string }) => u.id);
    assert.equal(
      readFileSync(join(dir, 'TODO.md'), 'utf8'),
      `# TODO\n\n- [ ] **${ids[0]}** Paint the fence\n- [x] Fix the tap\n- [ ] **${ids[2]}** File the report\n`,
    );
  });

  it('sync writes context.db beside the workspace root; a second sync finds nothing to do; export writes the work items', async () => {
    const dir = ws({ 'TASKLIST.md': SMALL });
    const r1 = await runCli(['sync', 'TASKLIST.md', '--json'], dir);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(JSON.parse(r1.stdout).applied, true, 'the first sync fills the database');
    const db = join(dir, '.coditect/context.db');
    assert.ok(existsSync(db));
    const conn = new Database(db, { readonly: true });
    try {
      const rows = conn.prepare('SELECT task_id AS id, status FROM v2_tasks ORDER BY task_id').all() as { id: string; status: string }[];
      assert.deepEqual(
        rows.map((x) => `${x.id}:${x.status}`),
        ['T001.001:pending', 'T001.002:pending', 'T001.003:completed', 'T001.004:pending'],
      );
    } finally {
      conn.close();
    }
    const r2 = await runCli(['sync', 'TASKLIST.md', '--json'], dir);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(JSON.parse(r2.stdout).applied, false);
    const r3 = await runCli(['export', 'TASKLIST.md', '--json'], dir);
    assert.equal(r3.code, 0, r3.stderr);
    const ex = JSON.parse(r3.stdout);
    assert.equal(ex.count, 4);
    const items = JSON.parse(readFileSync(ex.path, 'utf8'));
    const list = Array.isArray(items) ? items : (items.items ?? items.workItems);
    assert.equal(list.length, 4);
  });

  it('run --agent dry-run finishes a plan in dependency order, ticks every checkbox, records one completed attempt per task', async () => {
    const { text, ids } = generateTaskList({ tasks: 60, tasksPerFeature: 6, featuresPerEpic: 3, seed: 7 });
    const dir = ws({ 'PLAN-TASKLIST.md': text });
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--agent', 'dry-run', '--concurrency', '6', '--json'], dir);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const out = JSON.parse(r.stdout);
    assert.equal(out.outcome, 'completed');
    assert.equal(out.counts.completed, 60);
    assert.equal(out.simulated, true);
    const md = readFileSync(join(dir, 'PLAN-TASKLIST.md'), 'utf8');
    assert.equal((md.match(/^- \[x\]/gm) ?? []).length, 60);
    assert.equal((md.match(/^- \[ \]/gm) ?? []).length, 0);
    const conn = new Database(join(dir, '.coditect/context.db'), { readonly: true });
    try {
      const starts = new Map<string, string>();
      const ends = new Map<string, string>();
      for (const row of conn.prepare("SELECT task_id, started_at, completed_at AS ended_at FROM agent_execution_log WHERE status = 'completed'").all() as {
        task_id: string;
        started_at: string;
        ended_at: string;
      }[]) {
        assert.ok(!starts.has(row.task_id), `${row.task_id} completed twice`);
        starts.set(row.task_id, row.started_at);
        ends.set(row.task_id, row.ended_at);
      }
      assert.deepEqual([...starts.keys()].sort(), [...ids].sort());
      // Dependency order: no task started before each of its dependencies ended.
      const deps = conn.prepare("SELECT task_id, dependency_task_id AS depends_on_id FROM task_dependencies WHERE dependency_type = 'blocks'").all() as {
        task_id: string;
        depends_on_id: string;
      }[];
      assert.ok(deps.length > 10);
      for (const d of deps) assert.ok(starts.get(d.task_id)! >= ends.get(d.depends_on_id)!, `${d.task_id} started before ${d.depends_on_id} ended`);
    } finally {
      conn.close();
    }
  });

  it('run exits 1 and names the failed tasks when a Verify command fails', async () => {
    const plan = `## E001: Core\n\n- [ ] **T001.001** Build it (P0)\n  - Verify: test -f does-not-exist.txt\n- [ ] **T001.002** Ship it (P1)\n  - Depends on: T001.001\n`;
    const dir = ws({ 'TASKLIST.md': plan, 'config.json': JSON.stringify({ retry: { max_attempts: 1, initial_delay_ms: 10, max_delay_ms: 10 } }) });
    const r = await runCli(['run', 'TASKLIST.md', '--agent', 'dry-run', '--config', 'config.json', '--json'], dir);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.outcome, 'stalled');
    assert.deepEqual(out.failed, ['T001.001']);
    assert.deepEqual(out.blocked, ['T001.002']);
    assert.deepEqual(out.stalls, [{ reason: 'failed-dependency', root: 'T001.001', text: 'T001.001 failed', holds: ['T001.002'] }]);
    assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /T001\.001\*\* Build it \(P0\) `status:failed`/);
  });

  it('run on a plan with a cycle and an unknown dependency runs the rest, never a held task, reports them and exits 1', async () => {
    const plan = `${BROKEN}- [ ] **T001.004** Free (P2)\n- [ ] **T001.005** After the cycle (P2)\n  - Depends on: T001.002\n`;
    const dir = ws({ 'TASKLIST.md': plan });
    const r = await runCli(['run', 'TASKLIST.md', '--agent', 'dry-run', '--json'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /TASKLIST\.md:\d+:1: error \[dependency-cycle\] Dependency cycle: T001\.001 \(line 5\) → T001\.002 \(line 7\) → T001\.001/);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.blocked.sort(), ['T001.001', 'T001.002', 'T001.003', 'T001.005']);
    assert.deepEqual(
      out.stalls.map((s: { reason: string; root: string; holds: string[] }) => [s.reason, s.root, s.holds]),
      [
        ['cycle', 'T001.001', ['T001.001', 'T001.002', 'T001.005']],
        ['unknown-dependency', 'T001.003', ['T001.003']],
      ],
    );
    const conn = new Database(join(dir, '.coditect/context.db'), { readonly: true });
    try {
      const ran = conn.prepare('SELECT DISTINCT task_id FROM agent_execution_log ORDER BY task_id').all() as { task_id: string }[];
      assert.deepEqual(
        ran.map((x) => x.task_id),
        ['T001.004'],
        'only the task outside the holds ran',
      );
    } finally {
      conn.close();
    }
  });

  it('run says up front what is wrong with the list (a duplicate id runs once) and reports it in --json', async () => {
    const plan = `## E001: Core\n\n- [ ] **T001.001** Build it (P0)\n- [ ] **T001.001** Build it again (P1)\n`;
    const dir = ws({ 'TASKLIST.md': plan });
    const r = await runCli(['run', 'TASKLIST.md', '--agent', 'dry-run', '--json'], dir);
    assert.match(r.stderr, /TASKLIST\.md:4:\d+: (error|warning) \[duplicate-id\]/);
    const out = JSON.parse(r.stdout);
    assert.ok(out.diagnostics.some((d: { code: string; line: number }) => d.code === 'duplicate-id' && d.line === 4));
  });

  it('a bad config file is refused with its key path and value', async () => {
    const dir = ws({ 'TASKLIST.md': SMALL, 'config.json': JSON.stringify({ max_concurrent_agents: 0 }) });
    const r = await runCli(['run', 'TASKLIST.md', '--config', 'config.json'], dir, cliEnv());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /max_concurrent_agents/);
    assert.match(r.stderr, /\b0\b/);
  });

  it('a file that is not UTF-8 is read without loss and reported', async () => {
    const dir = ws({});
    writeFileSync(join(dir, 'TASKLIST.md'), Buffer.from('## E001: Caf\xe9\n\n- [ ] **T001.001** R\xe9sum\xe9 (P1)\n', 'latin1'));
    const r = await runCli(['validate', 'TASKLIST.md', '--json'], dir);
    const out = JSON.parse(r.stdout);
    assert.equal(out.counts.tasks, 1);
    assert.ok(
      out.diagnostics.some((d: { severity: string; message: string }) => /UTF-8|utf-8|encoding/i.test(d.message)),
      JSON.stringify(out.diagnostics),
    );
  });
});
