// The sync's shortcuts (incremental re-parse, tasks skipped because the same clean task object came back, the
// snapshot cache keeping task nodes) must never change an outcome. After every sync of a long-lived service, a
// FRESH service on the same database and file — no caches, a full parse, every task compared — must find nothing
// left to do, and the service's current list must read like a full parse of the file. Random edits by a person
// (ticks, titles, ids, metadata, sub-bullets, tasks added, removed and duplicated) interleave with the engine's
// status changes, on a real file and a real SQLite database.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { decodeTaskList, encodeTaskList } from '../../../src/core/decode';
import { parseTaskList } from '../../../src/core/parser';
import { joinLines, splitLines } from '../../../src/core/textLines';
import type { ApplyEditsParams, ApplyEditsResult } from '../../../src/protocol/engineProtocol';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { SyncService } from '../../../src/engine/sync/syncService';
import { makeTempDir, removeDir } from '../db/dbTestKit';

const PLAN = [
  '# Plan',
  '',
  '## E001: Core',
  '',
  '### F001.01: Messaging',
  '',
  '- [ ] **T001.001** Deploy bus (P0, 16h)',
  '  - Agent: devops-engineer',
  '- [ ] **T001.002** Define schema (P1, 2h)',
  '- [ ] **T001.003** Publisher service (P1, 8h)',
  '  - Depends on: T001.001, T001.002',
  '',
  '### F001.02: Registry',
  '',
  '- [ ] **T001.004** Tenant API (P2)',
  '- [x] **T001.005** Tenant schema ~3h',
  '- [ ] **T001.006** Tenant UI after T001.004',
  '',
  '```',
  '- [ ] T009 not a task',
  '```',
  '',
].join('\n');

type Op =
  | { kind: 'tick'; at: number }
  | { kind: 'retitle'; at: number; word: string }
  | { kind: 'badge'; at: number; badge: string }
  | { kind: 'renameId'; at: number; n: number }
  | { kind: 'agent'; at: number; agent: string }
  | { kind: 'addTask'; at: number; word: string }
  | { kind: 'removeLine'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'engine'; at: number; outcome: 'completed' | 'failed' | 'claim' }
  | { kind: 'encoding'; to: 'crlf' | 'lf' | 'latin1' | 'utf8' | 'bom' }
  | { kind: 'editorSync' }
  | { kind: 'sync' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), at: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('retitle' as const), at: fc.nat(), word: fc.constantFrom('now', 'v2', 'café', 'x') }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('badge' as const),
      at: fc.nat(),
      badge: fc.constantFrom(' `status:failed`', ' `status:blocked`', ' `status:bogus`'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameId' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('agent' as const), at: fc.nat(), agent: fc.constantFrom('qa-testing', 'backend-development') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('addTask' as const), at: fc.nat(), word: fc.constantFrom('Audit log', 'Rate limiter') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeLine' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('engine' as const),
      at: fc.nat(),
      outcome: fc.constantFrom('completed' as const, 'failed' as const, 'claim' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('encoding' as const),
      to: fc.constantFrom('crlf' as const, 'lf' as const, 'latin1' as const, 'utf8' as const, 'bom' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'editorSync' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'sync' as const }) },
);

/** An editor that applies the engine's line edits and saves at once (so the file is the buffer). */
function savingEditor(file: string): (p: ApplyEditsParams) => Promise<ApplyEditsResult> {
  return async (p) => {
    const dec = decodeTaskList(readFileSync(file));
    const split = splitLines(dec.text);
    for (const e of p.edits) if (split.lines[e.line] !== e.expected) return { outcome: 'stale' };
    for (const e of p.edits) split.lines[e.line] = e.text;
    writeFileSync(file, encodeTaskList(joinLines(split), dec.encoding));
    return { outcome: 'applied' };
  };
}

const TASK_LINE = /^\s*- \[[ xX/-]\] /;

describe('sync shortcuts never change an outcome', () => {
  it('after every sync, a fresh service with no caches finds nothing to do, and current() reads like the file', async function () {
    // 60 runs of up to 25 syncs, each with an fsync'd file write and a WAL commit: about 3 s of CPU, but wall time is
    // disk waits, which a loaded shared machine stretches past mocha's default 20 s (seen at load 25 on 2 cores).
    this.timeout(90_000);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 24 }), fc.boolean(), async (ops, withEditor) => {
        const dir = makeTempDir('coditect-incsync-');
        const file = path.join(dir, 'PLAN.md');
        writeFileSync(file, PLAN);
        const h = openDatabase(path.join(dir, 'context.db'));
        const store = new TaskStore(h);
        let now = Date.parse('2026-03-01T10:00:00Z');
        const applyEdits = withEditor ? savingEditor(file) : undefined;
        const sync = new SyncService({ handle: h, tasklistPath: file, now: () => now, applyEdits });
        let version = 0;
        try {
          await sync.syncFromDisk();
          for (const o of [...ops, { kind: 'sync' as const }]) {
            now += 1000;
            // Edits keep the file's encoding and line endings (as an editor would).
            const dec = decodeTaskList(readFileSync(file));
            const eol = dec.text.includes('\r\n') ? '\r\n' : '\n';
            const lines = dec.text.split(eol);
            const tasks = lines.map((l, i) => (TASK_LINE.test(l) ? i : -1)).filter((i) => i >= 0);
            const pick = (at: number) => tasks[at % Math.max(1, tasks.length)];
            const save = (text: string, encoding = dec.encoding) => writeFileSync(file, encodeTaskList(text, encoding));
            const edit = (f: (ls: string[]) => void) => {
              f(lines);
              save(lines.join(eol));
            };
            switch (o.kind) {
              case 'tick':
                if (tasks.length) edit((ls) => (ls[pick(o.at)] = ls[pick(o.at)].replace(/\[([ xX])\]/, (_, m: string) => (m === ' ' ? '[x]' : '[ ]'))));
                break;
              case 'retitle':
                if (tasks.length) edit((ls) => (ls[pick(o.at)] = ls[pick(o.at)].replace(/\*\*(\s+)/, `**$1${o.word} `)));
                break;
              case 'badge':
                if (tasks.length) edit((ls) => (ls[pick(o.at)] = ls[pick(o.at)] + o.badge));
                break;
              case 'renameId':
                if (tasks.length) edit((ls) => (ls[pick(o.at)] = ls[pick(o.at)].replace(/T001\.\d+/, `T001.0${o.n}${o.n}`)));
                break;
              case 'agent':
                if (tasks.length) edit((ls) => ls.splice(pick(o.at) + 1, 0, `  - Agent: ${o.agent}`));
                break;
              case 'addTask':
                edit((ls) => ls.splice(tasks.length ? pick(o.at) : ls.length, 0, `- [ ] ${o.word}`));
                break;
              case 'removeLine':
                if (tasks.length) edit((ls) => ls.splice(pick(o.at), 1));
                break;
              case 'duplicate':
                if (tasks.length) edit((ls) => ls.splice(pick(o.at), 0, ls[pick(o.at)]));
                break;
              case 'engine': {
                const live = h.db.prepare(`SELECT task_id AS id, status FROM v2_tasks WHERE archived_at IS NULL ORDER BY task_id`).all() as {
                  id: string;
                  status: string;
                }[];
                const t = live.filter((x) => x.status !== 'in_progress')[o.at % Math.max(1, live.length)];
                if (t && store.claim(t.id, 'engine', 60_000, now) && o.outcome !== 'claim') store.finish(t.id, 'engine', { status: o.outcome, now: now + 1 });
                break;
              }
              case 'encoding':
                if (o.to === 'crlf') save(lines.join('\r\n'));
                else if (o.to === 'lf') save(lines.join('\n'));
                // eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: every character fits latin1
                else if (o.to === 'latin1' && !/[^\x00-\xff]/.test(dec.text)) save(dec.text.replace('Tenant', 'Ténant').replace('Deploy', 'Déploy'), 'latin1');
                else if (o.to === 'utf8') save(dec.text, 'utf8');
                else if (o.to === 'bom') save(dec.text, 'utf8bom');
                break;
              case 'editorSync':
                await sync.syncFromText(dec.text, ++version);
                break;
              case 'sync': {
                await sync.syncFromDisk();
                const text = decodeTaskList(readFileSync(file)).text;
                const fresh = new SyncService({ handle: h, tasklistPath: file, now: () => now });
                try {
                  const r = await fresh.syncFromDisk({ force: true });
                  assert.equal(
                    r.applied,
                    false,
                    `a fresh service still had work: ${JSON.stringify({ ...r, diagnostics: undefined, list: undefined })}\n${text}`,
                  );
                  assert.equal(decodeTaskList(readFileSync(file)).text, text);
                } finally {
                  await fresh.close();
                }
                // current() is the parse with the identity of tasks written without an id resolved against the
                // database: those may be known by another id than a fresh parse allocates (src/core/identity.ts).
                const raw = parseTaskList(text).tasks;
                const current = sync.current().tasks;
                assert.equal(current.length, raw.length);
                const toRaw = new Map(current.map((t, i) => [t.id, t.idExplicit ? t.id : raw[i].id]));
                const asRaw = current.map((t) => ({ ...t, id: toRaw.get(t.id)!, dependsOn: t.dependsOn.map((d) => ({ ...d, id: toRaw.get(d.id) ?? d.id })) }));
                assert.deepStrictEqual(asRaw, raw);
                break;
              }
            }
          }
        } finally {
          await sync.close();
          h.close();
          removeDir(dir);
        }
      }),
      { numRuns: Number(process.env.INCSYNC_RUNS ?? 60) },
    );
  });

  it('a ticked checkbox is patched in: every other task object is the one the last sync returned', async () => {
    for (const eol of ['\n', '\r\n']) {
      const dir = makeTempDir('coditect-incsync-');
      const file = path.join(dir, 'PLAN.md');
      writeFileSync(file, PLAN.split('\n').join(eol));
      const h = openDatabase(path.join(dir, 'context.db'));
      const sync = new SyncService({ handle: h, tasklistPath: file });
      try {
        await sync.syncFromDisk();
        const before = sync.current().tasks;
        writeFileSync(file, readFileSync(file, 'utf8').replace('- [ ] **T001.004**', '- [x] **T001.004**'));
        const r = await sync.syncFromDisk();
        assert.equal(r.statusesToDb, 1);
        const after = sync.current().tasks;
        const k = after.findIndex((t) => t.id === 'T001.004');
        assert.equal(after[k].status, 'completed');
        assert.equal(h.db.prepare(`SELECT status FROM v2_tasks WHERE task_id = 'T001.004'`).pluck().get(), 'completed');
        after.forEach((t, i) => (i === k ? assert.notEqual(t, before[i]) : assert.equal(t, before[i], `${t.id} reused`)));
        // An edit the patch cannot take (a sub-bullet) is parsed whole, with the same outcome a fresh parse gives.
        writeFileSync(file, readFileSync(file, 'utf8').replace('Agent: devops-engineer', 'Agent: qa-testing'));
        await sync.syncFromDisk();
        assert.deepStrictEqual(sync.current().tasks, parseTaskList(readFileSync(file, 'utf8')).tasks);
        assert.equal(h.db.prepare(`SELECT agent FROM v2_tasks WHERE task_id = 'T001.001'`).pluck().get(), 'qa-testing');
      } finally {
        await sync.close();
        h.close();
        removeDir(dir);
      }
    }
  });
});
