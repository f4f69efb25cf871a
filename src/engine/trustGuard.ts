// What the engine trusts, guarded against agents that could have written it: the plan's `Verify:` commands, the config,
// the database and the git hooks. Where agents are contained (bubblewrap sandbox, file tools) they cannot write any of
// these; where they are not (no sandbox, or `sandbox.mode: off`), this is the second line: it cannot prevent a write,
// but it refuses to act on one.
// Invariants: a `Verify:` command runs only as it stood in person-authored text — the plan at engine start, a sync the
// person asked for, or a sync during which no uncontained agent could write; a config change made while an
// uncontained agent could write is not reloaded; an attempt after which the config, the git hooks or the database
// changed does not count as done (docs/security.md).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { TaskList } from '../core/model';

/** What a dispatch gets for a task's Verify line: the trusted command (maybe none), or why it is refused. */
export type VerifyVerdict = { command: string | undefined } | { refused: string };

/** The files the guard watches over. */
export interface TrustedFiles {
  dbPath: string;
  /** The config file in use, if any. */
  configPath?: string;
  /** `.git` directories whose hooks and config an agent could plant (the workspace's, the agents' cwd's). */
  gitDirs: string[];
}

function hashFile(p: string): string {
  try {
    return createHash('sha256').update(readFileSync(p)).digest('hex');
  } catch (e) {
    return `missing:${(e as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** The hooks a git directory would run, and its config (an `core.hooksPath` or alias there runs code too). */
function gitFingerprint(gitDir: string): string {
  const h = createHash('sha256');
  h.update(hashFile(path.join(gitDir, 'config')));
  try {
    for (const name of readdirSync(path.join(gitDir, 'hooks')).sort()) {
      if (name.endsWith('.sample')) continue;
      h.update(`${name}:${hashFile(path.join(gitDir, 'hooks', name))}`);
    }
  } catch {
    h.update('no hooks dir');
  }
  return h.digest('hex');
}

const SQLITE_HEADER = 'SQLite format 3\u0000';

/** Why the database file is no longer the one the engine opened (gone, replaced, truncated, not SQLite), or undefined. */
export function databaseDamage(dbPath: string, ino: number | undefined): string | undefined {
  let st;
  try {
    st = statSync(dbPath);
  } catch (e) {
    return `the database file ${dbPath} is gone (${(e as NodeJS.ErrnoException).code})`;
  }
  if (ino !== undefined && st.ino !== ino) return `the database file ${dbPath} was replaced by another file`;
  if (st.size < 100) return `the database file ${dbPath} was truncated to ${st.size} bytes`;
  const buf = Buffer.alloc(16);
  const fd = openSync(dbPath, 'r');
  try {
    readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.toString('latin1') !== SQLITE_HEADER) return `the database file ${dbPath} no longer has an SQLite header (overwritten)`;
  return undefined;
}

/** One attempt's guard (TrustGuard.guardAttempt). */
export interface AttemptGuard {
  /** What the agent changed of what the engine trusts, or undefined. */
  audit(): string | undefined;
  /** The attempt is over. */
  end(): void;
}

/** See the file comment. One per engine. */
export class TrustGuard {
  private readonly verify = new Map<string, string | undefined>();
  /** Each task's Verify line as the plan said at the last read (trusted or not), and when that read was. */
  private seen = new Map<string, string | undefined>();
  private planMark = 0;
  private planMarkRunning = false;
  private uncontainedStarts = 0;
  private uncontainedRunning = 0;
  private readonly dbIno: number | undefined;

  constructor(
    private readonly files: TrustedFiles,
    /** True when agent processes run sandboxed (they cannot write what is guarded here). */
    private readonly contained: () => boolean,
  ) {
    try {
      this.dbIno = statSync(files.dbPath).ino;
    } catch {
      this.dbIno = undefined;
    }
  }

  // ---- agent windows ------------------------------------------------------------------------------------------

  /** An attempt started; `simulated` agents (dry-run) write nothing. Returns the call to make when it ends. */
  attemptStarted(simulated: boolean): () => void {
    if (simulated || this.contained()) return () => undefined;
    this.uncontainedStarts++;
    this.uncontainedRunning++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.uncontainedRunning--;
    };
  }

  /** A point in time to ask `couldWriteSince` about later. */
  mark(): number {
    return this.uncontainedStarts;
  }

  /** True when an uncontained agent ran at any moment since `mark` (or runs now). */
  couldWriteSince(mark: number): boolean {
    return this.uncontainedRunning > 0 || this.uncontainedStarts !== mark;
  }

  // ---- Verify commands ----------------------------------------------------------------------------------------

  /** Takes every task's Verify line as the person's (engine start, a sync the person asked for). */
  trustPlan(list: TaskList): void {
    this.verify.clear();
    for (const t of list.tasks) this.verify.set(t.id, t.verify);
    this.seen = new Map(this.verify);
    this.planMark = this.mark();
    this.planMarkRunning = this.uncontainedRunning > 0;
  }

  /**
   * A plan read from disk or the editor. A Verify line that changed since the previous read is the person's only when
   * no uncontained agent could have written the plan in between (none ran since that read, and none was running at
   * it); a change made while one could is held back — and stays held at later reads, even quiet ones, because a
   * quiet window says nothing about text written before it. Returns the ids whose Verify line is held back.
   */
  observePlan(list: TaskList): string[] {
    const quiet = !this.planMarkRunning && !this.couldWriteSince(this.planMark);
    const seen = new Map<string, string | undefined>();
    for (const t of list.tasks) {
      seen.set(t.id, t.verify);
      const changed = this.seen.has(t.id) ? this.seen.get(t.id) !== t.verify : true;
      if (quiet && changed) this.verify.set(t.id, t.verify);
    }
    this.seen = seen;
    this.planMark = this.mark();
    this.planMarkRunning = this.uncontainedRunning > 0;
    const held: string[] = [];
    for (const t of list.tasks) if (!this.verify.has(t.id) ? t.verify !== undefined : this.verify.get(t.id) !== t.verify) held.push(t.id);
    return held;
  }

  /** The Verify command to run for `taskId` whose plan text says `text`. */
  verifyFor(taskId: string, text: string | undefined): VerifyVerdict {
    const trusted = this.verify.get(taskId);
    if (this.verify.has(taskId) ? trusted === text : text === undefined) return { command: text };
    return {
      refused:
        `the Verify line of ${taskId} changed while an unsandboxed agent could write the plan, so it is not run ` +
        `(it may be an agent's, not yours). Review the plan (git diff), then run \`coditect sync\` or restart the engine to trust it`,
    };
  }

  // ---- after an attempt ---------------------------------------------------------------------------------------

  /**
   * The guard of one attempt: its window (attemptStarted) and its snapshot (beginAttempt) from now. `audit` names what
   * the agent changed (the orchestrator asks it before recording the result); `end` closes the window and audits if
   * nothing did. A destroyed database is handed to `onDamage` at the audit, whichever call made it.
   */
  guardAttempt(simulated: boolean, onDamage: (message: string) => void): AttemptGuard {
    const ended = this.attemptStarted(simulated);
    const check = this.beginAttempt();
    let audited = false;
    const audit = (): string | undefined => {
      audited = true;
      const r = check();
      if (r.databaseDamage) onDamage(r.databaseDamage);
      return r.tampered;
    };
    return {
      audit,
      end: () => {
        ended();
        if (!audited) audit();
      },
    };
  }

  /** A snapshot taken when an attempt starts; calling the result after the agent ran names what it changed. */
  beginAttempt(): () => { tampered?: string; databaseDamage?: string } {
    if (this.contained()) return () => ({});
    const config = this.files.configPath ? hashFile(this.files.configPath) : undefined;
    const git = this.files.gitDirs.map((d) => gitFingerprint(d));
    return () => {
      const db = databaseDamage(this.files.dbPath, this.dbIno);
      if (db) return { tampered: db, databaseDamage: db };
      if (this.files.configPath && hashFile(this.files.configPath) !== config)
        return { tampered: `the config ${this.files.configPath} changed during the attempt` };
      const i = this.files.gitDirs.findIndex((d, k) => gitFingerprint(d) !== git[k]);
      if (i >= 0) return { tampered: `git hooks or config in ${this.files.gitDirs[i]} changed during the attempt` };
      return {};
    };
  }
}
