// A task list the engine cannot write, and one it cannot read tasks from, with real processes and a real filesystem
// fault (the plan's directory refuses new files, so the atomic write's temp file cannot be made): the run says so as
// an error and exits 1 instead of "completed 2/2" with no box ticked; a write that fails and later works is retried
// until it lands; a read-only (0444) file is refused, not replaced; a temp file a killed write left is removed at the
// next start; a binary file is refused by name.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, ROOT, runCli, startCli, tempWorkspace } from '../cli/cliHarness';
import { GATED_CONFIG, makeFifo, makeUnwritable, PAIR_PLAN, releaseFifo, waitForLine } from './faultKit';
import { recordFigure } from './figures';

const PLAN = PAIR_PLAN;
const CONFIG = GATED_CONFIG;
const git = (dir: string, ...args: string[]): string => {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const gitStatus = (dir: string): string => git(dir, 'status', '--porcelain', '--untracked-files=all');
const ticked = (dir: string): number => (readFileSync(join(dir, 'PLAN-TASKLIST.md'), 'utf8').match(/^- \[x\]/gm) ?? []).length;

/**
 * Node's arguments for a child that runs `body` with the engine's plan writers loaded (`writeFileAtomic`,
 * `writeFileInPlace`, `sha256` from src/engine/sync/atomicWrite.ts), `fs`, and `p`: the plan's path.
 */
function writerArgs(plan: string, body: string): string[] {
  return [
    '-r',
    'tsx/cjs',
    '-e',
    `const { writeFileAtomic, writeFileInPlace, sha256 } = require(${JSON.stringify(join(ROOT, 'src/engine/sync/atomicWrite.ts'))});
     const fs = require('node:fs');
     const p = ${JSON.stringify(plan)};
     ${body}`,
  ];
}

/**
 * A real kill mid-write: a process writing `plan` the engine's way (writeFileAtomic) SIGKILLs itself at `hook`
 * (afterCheck: its temp file complete, before the swap; whileAside: the plan moved aside, the new file not linked yet).
 */
function killedWriting(plan: string, hook: 'afterCheck' | 'whileAside') {
  return spawnSync(
    process.execPath,
    writerArgs(
      plan,
      `writeFileAtomic(p, Buffer.from('changed'), { expectChecksum: sha256(fs.readFileSync(p)), ${hook}: () => process.kill(process.pid, 'SIGKILL') });`,
    ),
    { cwd: ROOT, encoding: 'utf8' },
  );
}

describe('faults: a task list that cannot be written or holds no tasks (real processes, real filesystem)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const undo: (() => void)[] = [];
  const children: { kill(sig?: NodeJS.Signals): unknown }[] = [];
  before(() => ensureBuilt());
  afterEach(() => {
    children.splice(0).forEach((c) => c.kill('SIGKILL'));
    undo.splice(0).forEach((u) => u());
  });
  after(() => dirs.forEach(removeWorkspace));

  const workspace = async (): Promise<string> => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': CONFIG });
    dirs.push(dir);
    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir); // .coditect/ and the db exist before the fault
    assert.equal(s.code, 0, s.stderr);
    return dir;
  };

  it('run: every write-back fails → an error naming the cause, exit 1; `coditect sync` ticks the boxes once it can write', async () => {
    const dir = await workspace();
    const restore = makeUnwritable(dir);
    undo.push(restore);
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    undo.pop()!();
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { outcome: string; counts: { done: number }; markdownNotWritten?: string };
    assert.equal(out.counts.done, 2, 'the tasks did complete (in the database)');
    assert.match(out.markdownNotWritten ?? '', /cannot write .*PLAN-TASKLIST\.md: E(PERM|ACCES)/);
    assert.match(r.stderr, /ERROR cannot write .*PLAN-TASKLIST\.md/);
    assert.match(r.stderr, /does not show the engine's last statuses: .*`coditect sync` writes them/);
    assert.equal(ticked(dir), 0, 'the fault was real: nothing reached the file');

    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(ticked(dir), 2, 'the statuses were kept and reach the file once it can be written');
  });

  it('run: a write-back that fails is retried with backoff and lands once the file can be written; exit 0', async () => {
    const dir = await workspace();
    makeFifo(join(dir, 'gate-T001.002.fifo'));
    undo.push(makeUnwritable(dir));
    const run = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    children.push(run);
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
    await waitForLine(run, 'stderr', /ERROR cannot write .*PLAN-TASKLIST\.md/); // T001.001's tick
    undo.pop()!();
    await waitForLine(run, 'stderr', /PLAN-TASKLIST\.md written again/);
    assert.equal(ticked(dir), 1, 'the retry wrote the tick that had failed');
    await releaseFifo(join(dir, 'gate-T001.002.fifo'));
    assert.equal(await exited, 0, stderr.slice(-3000));
    assert.equal(ticked(dir), 2);
  });

  it('run: a read-only (0444) task list is not replaced nor chmod-ed: an error naming the mode, exit 1', async () => {
    const dir = await workspace();
    const plan = join(dir, 'PLAN-TASKLIST.md');
    chmodSync(plan, 0o444);
    const before = statSync(plan);
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    const after = statSync(plan);
    const replaced = after.ino !== before.ino || (after.mode & 0o777) !== 0o444 || ticked(dir) !== 0 ? 1 : 0;
    recordFigure({
      scenario: 'read-only (0444) plan during a run',
      trials: 1,
      survived: 1 - replaced,
      lost: 0,
      duplicated: 0,
      leaked: replaced,
      note: `exit ${r.code}`,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ERROR cannot write .*PLAN-TASKLIST\.md: .*PLAN-TASKLIST\.md is read-only \(mode 0444\): not replaced; make it writable/);
    assert.equal(after.ino, before.ino, 'the file was not replaced');
    assert.equal(after.mode & 0o777, 0o444, 'its mode was kept');
    assert.equal(readFileSync(plan, 'utf8'), PLAN, "its text is the person's");
    chmodSync(plan, 0o644);
    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(ticked(dir), 2, 'once writable, the statuses reach it');
  });

  it('a write killed between its temp file and the rename leaves no temp file after the next start (nothing in git status)', async () => {
    const dir = await workspace();
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    const plan = join(dir, 'PLAN-TASKLIST.md');
    // A real kill mid-write: a process writing the plan the engine's way SIGKILLs itself after its temp file is
    // complete and before the rename.
    const killed = killedWriting(plan, 'afterCheck');
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const leftovers = (): string[] => readdirSync(dir).filter((n) => n.endsWith('.tmp'));
    assert.equal(leftovers().length, 1, 'the kill left the temp file');
    assert.match(gitStatus(dir), /\.PLAN-TASKLIST\.md\.\d+\.[0-9a-f]{8}\.tmp/, 'and git status showed it');
    assert.equal(readFileSync(plan, 'utf8'), PLAN, 'the plan itself is intact');

    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    const left = leftovers().length;
    recordFigure({
      scenario: 'kill between temp file and rename, then a start',
      trials: 1,
      survived: left === 0 ? 1 : 0,
      lost: 0,
      duplicated: 0,
      leaked: left,
    });
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(leftovers(), [], 'the start removed it');
    assert.doesNotMatch(gitStatus(dir), /\.tmp/);
  });

  it('a write killed while the plan is moved aside (compare-and-swap) leaves the plan under its aside name; the next start puts it back', async () => {
    const dir = await workspace();
    const plan = join(dir, 'PLAN-TASKLIST.md');
    // A real kill in the swap's gap: the file at the path has been moved aside and the new one is not linked yet.
    const killed = killedWriting(plan, 'whileAside');
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(existsSync(plan), false, 'the kill fell in the gap: no file at the path');
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.old.tmp')).length, 1, 'the plan is kept under its aside name');

    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    const back = existsSync(plan) && readFileSync(plan, 'utf8') === PLAN;
    const left = readdirSync(dir).filter((n) => n.endsWith('.tmp'));
    recordFigure({
      scenario: 'kill while the plan is moved aside (swap), then a start',
      trials: 1,
      survived: back && left.length === 0 ? 1 : 0,
      lost: back ? 0 : 1,
      duplicated: 0,
      leaked: left.length,
    });
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /put .*PLAN-TASKLIST\.md back from .*\.old\.tmp: a write of the task list was killed while the file was moved aside/);
    assert.ok(back, 'the plan is back, as it was');
    assert.deepEqual(left, [], 'and the temp file of the killed write is gone');
  });

  // #14 item 7: a person's editor saving by rename while the engine writes the plan back. The engine side is the real
  // write-back (writeFileAtomic with the checksum of the bytes it read, read again on a refusal, as SyncService does)
  // in a loop in its own process; the editor appends one paragraph per save and saves by rename. Every paragraph must
  // be in the final file. CODITECT_FAULT_SAVES raises the number of saves for a longer measurement.
  it("a person's saves by rename racing the engine's write-back: every paragraph survives", async function () {
    const saves = Number(process.env.CODITECT_FAULT_SAVES ?? 2400);
    this.timeout(Math.max(120_000, saves * 50));
    const dir = await workspace();
    const plan = join(dir, 'PLAN-TASKLIST.md');
    const engine = spawn(
      process.execPath,
      writerArgs(
        plan,
        `let stop = false, writes = 0, refused = 0, missing = 0;
         process.stdin.on('end', () => (stop = true)).resume();
         const round = () => {
           for (let k = 0; k < 20 && !stop; k++) {
             let bytes;
             try { bytes = fs.readFileSync(p); } catch (e) { if (e.code !== 'ENOENT') throw e; missing++; continue; }
             const text = bytes.toString('utf8');
             const next = text.includes('- [ ] **T001.001**') ? text.replace('- [ ] **T001.001**', '- [x] **T001.001**') : text.replace('- [x] **T001.001**', '- [ ] **T001.001**');
             if (writeFileAtomic(p, Buffer.from(next), { expectChecksum: sha256(bytes) })) writes++; else refused++;
             if (writes === 1 && refused === 0) process.stdout.write('writing\\n');
           }
           if (stop) { process.stdout.write(JSON.stringify({ writes, refused, missing }) + '\\n'); process.exit(0); }
           setImmediate(round);
         };
         round();`,
      ),
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(engine);
    await waitForLine(engine, 'stdout', /^writing$/);
    const engineDone = waitForLine(engine, 'stdout', /^\{.*\}$/);
    const editor = spawnSync(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const p = ${JSON.stringify(plan)};
         let missing = 0;
         for (let i = 0; i < ${saves}; i++) {
           let text;
           // A read that finds no file falls in another writer's gap (git's checkout, vim's backup rename, the engine's
           // swap): editors look again.
           for (;;) { try { text = fs.readFileSync(p, 'utf8'); break; } catch (e) { if (e.code !== 'ENOENT') throw e; missing++; } }
           fs.writeFileSync(p + '.editor~', text + '\\nparagraph ' + i + ' of the person\\n');
           fs.renameSync(p + '.editor~', p);
         }
         process.stdout.write(JSON.stringify({ missing }));`,
      ],
      { encoding: 'utf8' },
    );
    engine.stdin!.end();
    const eng = JSON.parse((await engineDone)[0]) as { writes: number; refused: number; missing: number };
    assert.equal(editor.status, 0, editor.stderr);
    const final = readFileSync(plan, 'utf8');
    const found = new Set([...final.matchAll(/^paragraph (\d+) of the person$/gm)].map((m) => Number(m[1])));
    const lost = saves - found.size;
    const kept = readdirSync(dir).filter((n) => n.endsWith('.kept.tmp')).length;
    recordFigure({
      scenario: "a person's saves by rename during the engine's write-backs",
      trials: saves,
      survived: found.size,
      lost,
      duplicated: 0,
      leaked: 0,
      note: `${eng.writes} write-backs landed, ${eng.refused} refused and merged again; ${(JSON.parse(editor.stdout) as { missing: number }).missing} editor reads met the swap's gap; ${kept} checked copies kept`,
    });
    assert.equal(lost, 0, `paragraphs lost: ${[...Array(saves).keys()].filter((i) => !found.has(i)).join(', ')}`);
    assert.ok(eng.writes > 0, 'the engine did write back during the saves');
  });

  it('an in-place write killed mid-write (crash record present, file torn) is finished by the next start; the torn file is kept', async () => {
    const dir = await workspace();
    const plan = join(dir, 'PLAN-TASKLIST.md');
    const record = join(dir, '.coditect/context.db.plan-write');
    const next = PLAN.replace('- [ ] **T001.001**', '- [x] **T001.001**');
    // A real kill: a process writing the plan in place, as the engine does while agents run sandboxed, SIGKILLs
    // itself once its crash record is durable and it has written the first bytes of the new text over the old.
    const killed = spawnSync(
      process.execPath,
      writerArgs(
        plan,
        `const next = Buffer.from(${JSON.stringify(next)});
         writeFileInPlace(p, next, ${JSON.stringify(record)}, {
           afterCheck: () => { const fd = fs.openSync(p, 'r+'); fs.writeSync(fd, Buffer.from('#### torn'), 0, 9, 0); fs.closeSync(fd); process.kill(process.pid, 'SIGKILL'); },
         });`,
      ),
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const torn = readFileSync(plan, 'utf8');
    assert.ok(torn.startsWith('#### torn') && existsSync(record), 'the kill left a torn file and the crash record');

    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    const finished = readFileSync(plan, 'utf8') === next;
    const kept = readdirSync(join(dir, '.coditect')).filter((n) => n.endsWith('.kept'));
    recordFigure({
      scenario: 'kill mid in-place plan write, then a start',
      trials: 1,
      survived: finished && kept.length === 1 && !existsSync(record) ? 1 : 0,
      lost: finished ? 0 : 1,
      duplicated: 0,
      leaked: existsSync(record) ? 1 : 0,
    });
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /finished a write of .*PLAN-TASKLIST\.md that a stopped engine began; the file as it was is kept at .*\.kept/);
    assert.equal(readFileSync(plan, 'utf8'), next, 'the new text was written whole');
    assert.equal(readFileSync(join(dir, '.coditect', kept[0]), 'utf8'), torn, 'the torn file is kept');
    assert.equal(existsSync(record), false);
  });

  it('run: tasks nested deeper than the parser reads are an error naming the lines, exit 1 (they vanished silently)', async () => {
    const dir = await workspace();
    const deep = Array.from({ length: 60 }, (_, i) => `${'  '.repeat(i)}- [ ] **T002.${String(i + 1).padStart(3, '0')}** level ${i + 1} (P1, 1h)`);
    writeFileSync(join(dir, 'deep.md'), `# Plan\n\n## E002: Deep\n\n${deep.join('\n')}\n`);
    const r = await runCli(['run', 'deep.md', '--config', 'config.json', '--json'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /deep\.md:54:1: error \[nesting-too-deep\] nested more than 49 levels deep: lines 54–64 are not read \(11 task line\(s\) ignored\)/);
  });

  it('run: a binary file has no tasks → an error naming the NUL byte, exit 1', async () => {
    const dir = await workspace();
    writeFileSync(join(dir, 'tasks.md'), Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0\0\0'), Buffer.alloc(64, 0xff)]));
    const r = await runCli(['run', 'tasks.md', '--config', 'config.json'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: .*tasks\.md has no tasks, nothing to run: it looks binary \(NUL byte at offset 7\)/);
  });
});
