// A text the editor sent just before the engine's edit landed in the open document, read by the engine after the
// edit's answer, must not undo the edit in the engine's idea of the document. It did: the engine took it as newer
// (its own edit made a version it never recorded) and as the person unticking the task, so the store said pending
// while the document kept the tick for good (editorSync's integration clean-up, 2 runs of 4 on 2026-12-04: a reopen
// within ~0.3 s of the tick never reached the document). Real processes: the built engine (`engine.js --stdio`) and a
// JSON-RPC client in the editor's place with a faithful document: a buffer and its version, texts sent with
// EditorVersions' numbers, edits checked line by line and applied as one version step, a clean document saved after
// an edit, the text sent again after 'stale' or after edits computed on another text (as src/extension/editSync.ts).
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { TaskStatus } from '../../../src/core/model';
import { EditorVersions } from '../../../src/protocol/editorVersions';
import { ApplyEdits, DocumentChanged, Exit, MarkTask, PlanPatched, Shutdown, TasksChanged } from '../../../src/protocol/engineProtocol';
import { generateTaskList } from '../../bench/generatePlan';
import { ensureBuilt, removeWorkspace, tempWorkspace } from '../cli/cliHarness';
import { initializeAsEditor, spawnStdioEngine } from './stdioEngine';

const PLAN = 'PLAN-TASKLIST.md';
/** Longest wait for something the engine does within its 200 ms write-back pause: only a failure ever waits it out. */
const WAIT_MS = 15_000;

/** The editor's side (see the file comment), with waits on what the document and the store come to say. */
interface ModelEditor {
  connection: MessageConnection;
  buffer: () => string;
  /** A person's edit of the buffer (its send is left to the caller: `send`, or `dueAtEdit`). */
  type(from: string, to: string): void;
  send(): void;
  /** A send already due (a keystroke's debounce, a resend) goes out as the engine's next edit arrives, before it is handled. */
  dueAtEdit: boolean;
  /** Every status the engine announced for each task, in order. */
  announced: Map<string, TaskStatus[]>;
  bufferUntil(ok: (text: string) => boolean, what: string): Promise<void>;
  storeUntil(ok: () => boolean, what: string): Promise<void>;
  stop(): Promise<void>;
}

async function startEditor(dir: string, text: string): Promise<ModelEditor> {
  const plan = join(dir, PLAN);
  const engine = spawnStdioEngine();
  const { child, connection, exited, stderr } = engine;
  const versions = new EditorVersions();
  let buffer = text;
  let saved = text;
  let version = 1;
  const changed: (() => void)[] = [];
  const announced = new Map<string, TaskStatus[]>();
  const announce = (tasks: { id: string; status: TaskStatus }[]): void => {
    for (const t of tasks) {
      const seen = announced.get(t.id) ?? [];
      if (seen.at(-1) !== t.status) seen.push(t.status);
      announced.set(t.id, seen);
    }
    changed.forEach((c) => c());
  };
  connection.onNotification(TasksChanged.type, (p) => announce(p.tasks));
  connection.onNotification(PlanPatched.type, (p) => announce(p.tasks));
  const until = (ok: () => boolean, what: string, describe: () => string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!ok()) return;
        clearTimeout(timer);
        changed.splice(changed.indexOf(check), 1);
        resolve();
      };
      const timer = setTimeout(() => {
        changed.splice(changed.indexOf(check), 1);
        reject(new Error(`${what}: not within ${WAIT_MS} ms (${describe()})\n${stderr()}`));
      }, WAIT_MS);
      changed.push(check);
      check();
    });
  const editor: ModelEditor = {
    connection,
    buffer: () => buffer,
    dueAtEdit: false,
    announced,
    type(from, to) {
      assert.ok(buffer.includes(from), from);
      buffer = buffer.replace(from, to);
      version++;
    },
    send() {
      void connection.sendNotification(DocumentChanged.type, { path: plan, text: buffer, version: versions.sending('plan', version) });
    },
    bufferUntil: (ok, what) =>
      until(
        () => ok(buffer),
        what,
        () => buffer,
      ),
    storeUntil: (ok, what) => until(ok, what, () => JSON.stringify([...announced])),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await connection.sendRequest(Shutdown.type).catch(() => undefined);
        await connection.sendNotification(Exit.type).catch(() => undefined);
        await exited;
      }
      connection.dispose();
    },
  };
  connection.onRequest(ApplyEdits.type, (p) => {
    if (editor.dueAtEdit) {
      editor.dueAtEdit = false;
      editor.send();
    }
    const lines = buffer.split('\n');
    if (p.edits.some((e) => lines[e.line] !== e.expected)) {
      editor.send();
      return { outcome: 'stale' as const };
    }
    const clean = buffer === saved;
    for (const e of p.edits) lines[e.line] = e.text;
    buffer = lines.join('\n');
    const made = versions.applied('plan', version, p.version);
    version++;
    if (made.resend) editor.send();
    if (clean) {
      writeFileSync(plan, buffer);
      saved = buffer;
    }
    changed.forEach((c) => c());
    return { outcome: 'applied' as const, version: made.version };
  });
  await initializeAsEditor(engine, dir, plan);
  return editor;
}

const box = (text: string, id: string): 'x' | ' ' | undefined =>
  new RegExp(`^- \\[([x ])\\] \\*\\*${id.replace('.', '\\.')}\\*\\*`, 'm').exec(text)?.[1] as 'x' | ' ';

/** The store's statuses (context.db, read as another program would) and the document's boxes agree, task by task. */
function assertAgree(dir: string, text: string): Map<string, TaskStatus> {
  const db = new Database(join(dir, '.coditect', 'context.db'), { readonly: true });
  try {
    const rows = db.prepare(`SELECT task_id AS id, status FROM v2_tasks WHERE archived_at IS NULL`).all() as { id: string; status: TaskStatus }[];
    for (const r of rows)
      assert.equal(box(text, r.id) === 'x', r.status === 'completed', `${r.id}: the store says ${r.status}, the document shows [${box(text, r.id)}]`);
    return new Map(rows.map((r) => [r.id, r.status]));
  } finally {
    db.close();
  }
}

describe('the open document and the store agree whatever order the editor’s texts and the engine’s edits cross in (real engine process)', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  let editor: ModelEditor | undefined;
  before(() => ensureBuilt());
  afterEach(async () => {
    await editor?.stop();
    editor = undefined;
    if (dir) removeWorkspace(dir);
    dir = undefined;
  });

  const open = async (): Promise<{ ids: string[]; editor: ModelEditor }> => {
    const { text, ids } = generateTaskList({ tasks: 4, tasksPerFeature: 2, featuresPerEpic: 2, seed: 7, chainProbability: 0, crossProbability: 0 });
    dir = tempWorkspace({ [PLAN]: text, 'config.json': JSON.stringify({ agents: { sim: { kind: 'dry-run' } }, default_agent: 'sim' }) });
    editor = await startEditor(dir, text);
    editor.send(); // the plan opened in the editor
    return { ids, editor };
  };

  it('a task reopened right after its tick reached the document is unticked there, when a send of the older text crossed the tick', async () => {
    const { ids, editor: ed } = await open();
    const id = ids[0];
    // A send of the text the tick is computed on is due as the tick arrives (as a resend after a 'stale').
    ed.dueAtEdit = true;
    assert.deepEqual(await ed.connection.sendRequest(MarkTask.type, { taskId: id, status: 'completed' }), { changed: true });
    await ed.bufferUntil((t) => box(t, id) === 'x', `${id} ticked in the document`);
    // The person reopens it at once (coditect.reopenTask), as editorSync's clean-up does.
    const reopened = await ed.connection.sendRequest(MarkTask.type, { taskId: id, status: 'pending' });
    await ed.bufferUntil((t) => box(t, id) === ' ', `${id} unticked in the document after the reopen`);
    assert.deepEqual(reopened, { changed: true }, 'the store still said completed when the person reopened it');
    assert.deepEqual(ed.announced.get(id), ['completed', 'pending'], `${id}: the statuses the engine announced`);
    assert.equal(assertAgree(dir!, ed.buffer()).get(id), 'pending');
  });

  it("a person's tick sent just before the engine's tick landed reaches the store, and undoes nothing", async () => {
    const { ids, editor: ed } = await open();
    const [engines, persons] = ids;
    // The person ticks a task; its send waits out the debounce and is due just as the engine's tick of another arrives.
    ed.type(`- [ ] **${persons}**`, `- [x] **${persons}**`);
    ed.dueAtEdit = true;
    assert.deepEqual(await ed.connection.sendRequest(MarkTask.type, { taskId: engines, status: 'completed' }), { changed: true });
    await ed.storeUntil(() => ed.announced.get(persons)?.includes('completed') === true, `${persons} completed in the store`);
    assert.equal(box(ed.buffer(), engines), 'x', "the engine's tick is in the document");
    assert.equal(box(ed.buffer(), persons), 'x', "the person's tick is still in the document");
    assert.deepEqual(ed.announced.get(engines), ['completed'], `${engines} was never taken as unticked by the person`);
    const statuses = assertAgree(dir!, ed.buffer());
    assert.equal(statuses.get(engines), 'completed');
    assert.equal(statuses.get(persons), 'completed');
  });
});
