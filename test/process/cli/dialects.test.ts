// Each dialect's fixture (test/fixtures/dialects) through the built CLI, as a new user would try it (issue #8):
// reading commands write nothing, sync changes no line, and a dry-run `run` ticks only checkboxes, never starts a
// criterion, an optional task, a BLOCKED task or a group, starts no task before what it waits for, and ticks a group
// only after all its subtasks. The shipped example plan's T001.010 waits for T001.009.
import { strict as assert } from 'node:assert';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from './cliHarness';

const FIXTURES = ['speckit-tasks.md', 'kiro-tasks.md', 'ccpm-epic.md', 'backlog-task.md', 'gfm-roadmap.md', 'gsd-roadmap.md', 'windows-tabs-crlf.md'];

interface Edge {
  from: string;
  to: string;
  type: 'blocks' | 'soft';
}

interface Node {
  id: string;
  status: string;
  kind?: 'group' | 'optional' | 'criterion';
  parent?: string;
  blockers: string[];
  line: number;
}

type RunEvent = { kind: 'started' | 'completed'; id: string };

/** The `started` and `completed` lines a run logs, in order. */
function eventsOf(stderr: string): RunEvent[] {
  const events: RunEvent[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^\d\d:\d\d:\d\d (started|completed)\s+(\S+) /.exec(line);
    if (m) events.push({ kind: m[1] as RunEvent['kind'], id: m[2] });
  }
  return events;
}

/** Nothing started before what it waits for (a blocking edge of graph --json) was done: before the run, or earlier in it. */
function assertWaited(graph: { nodes: Node[]; edges: Edge[] }, events: readonly RunEvent[]): void {
  const status = new Map(graph.nodes.map((n) => [n.id, n.status]));
  const at = (kind: RunEvent['kind'], id: string) => events.findIndex((e) => e.kind === kind && e.id === id);
  for (const e of graph.edges) {
    const start = at('started', e.from);
    if (e.type !== 'blocks' || start < 0 || status.get(e.to) === 'completed') continue;
    const done = at('completed', e.to);
    assert.ok(done >= 0 && done < start, `${e.from} started before ${e.to}, which it waits for, was done`);
  }
}

describe('dialect fixtures through the CLI (built bundle, real processes)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  before(() => ensureBuilt());
  after(() => dirs.forEach(removeWorkspace));

  it('next --json gives a task the priority of its phase heading (Priority: P1) when it has none of its own', async () => {
    const plan = '# Tasks\n\n## Phase 1: User Story 1 - Read (Priority: P1)\n\n- [ ] T001 [US1] Reader\n- [ ] T002 [P] [US1] Cache P3\n';
    const dir = tempWorkspace({ 'tasks.md': plan });
    dirs.push(dir);
    const r = await runCli(['next', 'tasks.md', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const ready = (JSON.parse(r.stdout) as { ready: { id: string; priority: string }[] }).ready;
    assert.deepEqual(
      ready.map((t) => [t.id, t.priority]),
      [
        ['T001', 'P1'],
        ['T002', 'P3'],
      ],
    );
  });

  it('the shipped example plan in a dry run: T001.010 starts only once T001.009 is done, and so does every task after what it waits for', async () => {
    const name = 'PROJECT-TASKLIST.md';
    const dir = tempWorkspace({ [name]: readFileSync(join(ROOT, 'resources/examples', name), 'utf8') });
    dirs.push(dir);
    const graph = JSON.parse((await runCli(['graph', name, '--json'], dir)).stdout) as { nodes: Node[]; edges: Edge[] };
    assert.ok(
      graph.edges.some((e) => e.from === 'T001.010' && e.to === 'T001.009' && e.type === 'blocks'),
      'T001.010 waits for T001.009',
    );
    const r = await runCli(['run', name, '--agent', 'dry-run', '--json'], dir);
    const events = eventsOf(r.stderr);
    const started = events.findIndex((e) => e.kind === 'started' && e.id === 'T001.010');
    const done = events.findIndex((e) => e.kind === 'completed' && e.id === 'T001.009');
    assert.ok(started > 0 && done >= 0 && done < started, r.stderr);
    assertWaited(graph, events);
  });

  for (const name of FIXTURES) {
    it(`${name}: reading commands and syncs change nothing; a dry run ticks only checkboxes and never starts what it must not`, async () => {
      const text = readFileSync(join(ROOT, 'test/fixtures/dialects', name), 'utf8');
      const dir = tempWorkspace({ [name]: text });
      dirs.push(dir);
      const file = join(dir, name);
      const past = new Date('2026-01-01T00:00:00Z');
      utimesSync(file, past, past);
      for (const cmd of [['validate'], ['status'], ['next'], ['graph'], ['export', '--out', join(dir, 'items.json')]]) {
        const r = await runCli([cmd[0], name, ...cmd.slice(1), '--json'], dir);
        assert.ok(r.code === 0 || cmd[0] === 'validate' || cmd[0] === 'graph', `${cmd[0]}: ${r.stderr}`);
        assert.equal(readFileSync(file, 'utf8'), text, `${cmd[0]} changed the markdown`);
        assert.equal(statSync(file).mtimeMs, past.getTime(), `${cmd[0]} touched the markdown`);
      }
      const graph = JSON.parse((await runCli(['graph', name, '--json'], dir)).stdout) as { nodes: Node[]; edges: Edge[] };
      const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
      for (let k = 0; k < 2; k++) {
        const s = await runCli(['sync', name], dir);
        assert.equal(s.code, 0, s.stdout + s.stderr);
        assert.equal(readFileSync(file, 'utf8'), text, `sync ${k + 1} changed the markdown`);
      }

      const r = await runCli(['run', name, '--agent', 'dry-run', '--json'], dir);
      const out = JSON.parse(r.stdout) as { outcome: string };
      const events = eventsOf(r.stderr);
      const started = events.filter((e) => e.kind === 'started').map((e) => e.id);
      const work = graph.nodes.filter((n) => n.kind === undefined && n.blockers.length === 0 && n.status === 'pending');
      assert.equal(started.length > 0, work.length > 0, `started ${started.join(', ')}: ${r.stderr}`);
      for (const id of started) {
        const n = nodes.get(id);
        assert.ok(n, `started ${id}, which graph --json does not list`);
        assert.equal(n.kind, undefined, `started ${id}, a ${n.kind}`);
        assert.deepEqual(n.blockers, [], `started ${id}, blocked by ${n.blockers.join(', ')}`);
        assert.equal(started.indexOf(id), started.lastIndexOf(id), `${id} started twice`);
      }
      assertWaited(graph, events);
      const doneAt = new Map(events.filter((e) => e.kind === 'completed').map((e, i) => [e.id, i]));
      // A group is ticked after every one of its required subtasks, and never started.
      for (const n of graph.nodes) {
        if (n.kind !== 'group' || !doneAt.has(n.id)) continue;
        for (const c of graph.nodes.filter((x) => x.parent === n.id && x.kind !== 'optional' && x.kind !== 'criterion')) {
          const childDone = c.status === 'completed' ? -1 : (doneAt.get(c.id) ?? Infinity);
          assert.ok(childDone < doneAt.get(n.id)!, `group ${n.id} ticked before its subtask ${c.id}`);
        }
      }
      // Only checkboxes changed, into the file's own tick; criteria, optional and blocked tasks stay as written.
      const before = text.split('\n');
      const after = readFileSync(file, 'utf8').split('\n');
      assert.equal(after.length, before.length);
      const tick = /- \[X\]/.test(text) ? 'X' : 'x';
      let ticked = 0;
      before.forEach((l, i) => {
        if (l === after[i]) return;
        assert.equal(after[i], l.replace('[ ]', `[${tick}]`), `line ${i + 1} changed beyond its checkbox`);
        const n = graph.nodes.find((x) => x.line === i + 1);
        assert.ok(n && n.kind !== 'criterion' && n.kind !== 'optional' && n.blockers.length === 0, `line ${i + 1} ticked: ${l}`);
        ticked++;
      });
      assert.ok(ticked >= started.length, `${ticked} ticks for ${started.length} tasks run`);
      const blocked = graph.nodes.some((n) => n.blockers.length > 0 && n.status === 'pending');
      assert.equal(out.outcome, blocked ? 'stalled' : 'completed', r.stderr);
    });
  }
});
