// An editor that never answers `coditect/applyEdits` (a save stuck in the extension host) must not hold the plan's
// ticks: the engine waits EDITOR_APPLY_TIMEOUT_MS, writes the file itself by its safe disk path, and asks the editor
// nothing more until it answers. Real processes: the built engine (`engine.js --stdio`) and a JSON-RPC client that
// takes the editor's place at the protocol edge, as the extension does, but leaves every ApplyEdits request unanswered.
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { EDITOR_APPLY_TIMEOUT_MS } from '../../../src/engine/editorEdits';
import { ApplyEdits, type ApplyEditsParams, DocumentChanged, Exit, Shutdown, StartOrchestration } from '../../../src/protocol/engineProtocol';
import { generateTaskList } from '../../bench/generatePlan';
import { ensureBuilt, removeWorkspace, tempWorkspace } from '../cli/cliHarness';
import { initializeAsEditor, spawnStdioEngine } from './stdioEngine';

const CONFIG = { default_agent: 'sim', agents: { sim: { kind: 'dry-run', durationMs: 100 } }, max_concurrent_agents: 1 };
const PLAN = 'PLAN-TASKLIST.md';

interface SilentEditor {
  child: ChildProcess;
  connection: MessageConnection;
  /** Every ApplyEdits request the engine sent (none is answered). */
  asked: ApplyEditsParams[];
  stderr: () => string;
  stop(): Promise<void>;
}

async function startSilentEditor(dir: string, onAsked: (p: ApplyEditsParams) => void = () => undefined): Promise<SilentEditor> {
  const engine = spawnStdioEngine();
  const { child, connection, exited } = engine;
  const asked: ApplyEditsParams[] = [];
  connection.onRequest(ApplyEdits.type, (p) => {
    asked.push(p);
    onAsked(p);
    return new Promise<never>(() => undefined); // the save that never returns
  });
  await initializeAsEditor(engine, dir, join(dir, PLAN));
  return {
    child,
    connection,
    asked,
    stderr: engine.stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Shutdown waits for the sync queue: bounded now, it would wait forever on the unanswered request before.
      await connection.sendRequest(Shutdown.type).catch(() => undefined);
      await connection.sendNotification(Exit.type).catch(() => undefined);
      await exited;
      connection.dispose();
    },
  };
}

/** Resolves once the file's text satisfies `ok` (checked now and on every change of its folder). */
function fileUntil(path: string, ok: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return false; // between an atomic write's unlink and rename
      }
      if (!ok(text)) return false;
      w.close();
      resolve(text);
      return true;
    };
    const w = watch(join(path, '..'), () => void check());
    check();
  });
}

const ticked = (text: string, ids: string[]): boolean => ids.every((id) => new RegExp(`^- \\[x\\] \\*\\*${id.replace('.', '\\.')}\\*\\*`, 'm').test(text));

describe('write-back when the editor never answers applyEdits (real engine process)', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const editors: SilentEditor[] = [];
  before(() => ensureBuilt());
  afterEach(async () => {
    await Promise.all(editors.splice(0).map((e) => e.stop().catch(() => e.child.kill('SIGKILL'))));
    for (const d of dirs.splice(0)) removeWorkspace(d);
  });

  const workspace = (): { dir: string; ids: string[]; text: string } => {
    const { text, ids } = generateTaskList({ tasks: 4, tasksPerFeature: 2, featuresPerEpic: 2, seed: 7, chainProbability: 0, crossProbability: 0 });
    const dir = tempWorkspace({ [PLAN]: text, 'config.json': JSON.stringify(CONFIG) });
    dirs.push(dir);
    return { dir, ids, text };
  };

  it('writes every tick to the file after one bounded wait, asks the editor nothing more while it owes an answer, and says so', async () => {
    const { dir, ids, text } = workspace();
    const editor = await startSilentEditor(dir);
    editors.push(editor);
    // The plan is open in the editor: its buffer (here the same as the file) is what the engine edits.
    await editor.connection.sendNotification(DocumentChanged.type, { path: join(dir, PLAN), text, version: 1 });
    const startedAt = Date.now();
    await editor.connection.sendRequest(StartOrchestration.type);
    await fileUntil(join(dir, PLAN), (t) => ticked(t, ids));
    const allTickedMs = Date.now() - startedAt;

    assert.equal(editor.asked.length, 1, `one request, unanswered; the later write-backs went to the file (${editor.asked.length} asked)`);
    assert.match(
      editor.stderr(),
      new RegExp(`the editor did not apply \\d+ edit\\(s\\) to .*${PLAN} within ${EDITOR_APPLY_TIMEOUT_MS} ms; writing the file instead`),
    );
    // One wait, not one per write-back (4 tasks of 100 ms each make several write-backs).
    assert.ok(allTickedMs < 3 * EDITOR_APPLY_TIMEOUT_MS, `all ${ids.length} ticks in the file after ${allTickedMs} ms`);
    console.log(`      ${ids.length} ticks in the file ${allTickedMs} ms after start, the editor silent (wait bound ${EDITOR_APPLY_TIMEOUT_MS} ms)`);
  });

  it('a person’s save made while the engine waits for the editor is kept: the fallback write re-reads and merges, never overwrites', async () => {
    const { dir, ids } = workspace();
    const note = '\nNotes a person saved while the editor hung.\n';
    // The person saves (a text the engine has not seen) just as the engine asks the editor to apply its edits.
    const editor = await startSilentEditor(dir, (p) => {
      if (p.path === join(dir, PLAN) && !readFileSync(p.path, 'utf8').includes(note)) appendFileSync(p.path, note);
    });
    editors.push(editor);
    await editor.connection.sendRequest(StartOrchestration.type);
    const final = await fileUntil(join(dir, PLAN), (t) => ticked(t, ids));
    assert.ok(final.includes(note), `the person's text is still in the file:\n${final}`);
    assert.equal(editor.asked.length, 1);
  });
});
