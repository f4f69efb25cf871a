// Asking the attached editor to apply a write-back's edits (`coditect/applyEdits`), and when to stop asking. The
// newest editor still attached is asked (editors.ts); an answer is waited for at most EDITOR_APPLY_TIMEOUT_MS, after
// which the sync writes the file itself by its own safe path. Invariant: while a request is unanswered the editor is
// not asked again (every later write-back goes to the file) until it answers or another editor takes its place.
import type { ApplyEditsParams, ApplyEditsResult } from '../protocol/engineProtocol';
import { errorMessage } from '../core/describe';
import type { EditApplier } from './engineApi';
import { EditorStack } from './editors';

/**
 * Longest wait for the attached editor to apply a write-back's edits (`coditect/applyEdits`: one WorkspaceEdit and,
 * for a clean document, a save) before the engine writes the file itself. An editor answers in milliseconds; one that
 * never answers held the sync queue, so every later write-back waited behind it and the plan's ticks stayed stale
 * for minutes (#15, 2 integration runs in 8). Well past a loaded extension host's answer, because falling back early
 * has a cost: the file is written while the editor still shows the text from before, and a text the editor sends
 * before it reloads reads as a person unticking what the engine just ticked. With 5 s, one integration run at load 9
 * (3.6x slower than usual) lost a tick this way, most likely (not confirmed); 10 s still shows the tick within seconds.
 */
export const EDITOR_APPLY_TIMEOUT_MS = 10_000;

/** Options of EditorEdits. */
export interface EditorEditsOptions {
  /** Receives the function the sync asks (undefined: no editor, the sync writes the file). */
  use: (ask: ((p: ApplyEditsParams) => Promise<ApplyEditsResult>) | undefined) => void;
  warn: (message: string) => void;
  info: (message: string) => void;
  /** The wait for an answer, ms [EDITOR_APPLY_TIMEOUT_MS]. */
  timeoutMs?: number;
}

/** The editors that may apply edits, and the one asked now (see the file comment). */
export class EditorEdits {
  private readonly editors = new EditorStack<EditApplier>();
  private applier?: EditApplier;
  /** A request the editor has not answered within the timeout (the file is written meanwhile). */
  private unanswered?: Promise<unknown>;
  private readonly timeoutMs: number;

  constructor(private readonly opts: EditorEditsOptions) {
    this.timeoutMs = opts.timeoutMs ?? EDITOR_APPLY_TIMEOUT_MS;
  }

  /** Registers an editor on top; the result removes this registration (the one before it is asked again). */
  add(applier: EditApplier): () => void {
    const remove = this.editors.add(applier);
    this.useEditor(this.editors.current);
    return () => {
      if (remove()) this.useEditor(this.editors.current);
    };
  }

  /**
   * Asks the current editor to apply `p`, waiting at most the timeout. 'not-open' makes the sync write the file itself,
   * by its own safe path: re-read, merged with what the file says, written only if the file is still the one read.
   */
  async ask(p: ApplyEditsParams): Promise<ApplyEditsResult> {
    const applier = this.applier;
    if (!applier || this.unanswered) return { outcome: 'not-open' };
    const asked = performance.now();
    const answer = applier(p);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const r = await Promise.race([answer, late]);
      if (r !== 'timeout') return r;
    } catch (e) {
      this.opts.warn(`the editor could not apply edits (${errorMessage(e)}); writing the file instead`);
      return { outcome: 'not-open' };
    } finally {
      clearTimeout(timer);
    }
    this.opts.warn(
      `the editor did not apply ${p.edits.length} edit(s) to ${p.path} within ${this.timeoutMs} ms; writing the file instead, and until it answers`,
    );
    const unanswered: Promise<unknown> = answer.then(
      (r) => r.outcome,
      (e: unknown) => errorMessage(e),
    );
    this.unanswered = unanswered;
    void unanswered.then((what) => {
      if (this.unanswered !== unanswered) return; // another editor took its place meanwhile
      this.unanswered = undefined;
      this.opts.info(`the editor answered the edits after ${Math.round((performance.now() - asked) / 1000)} s (${String(what)}); asking it again`);
    });
    return { outcome: 'not-open' };
  }

  /** Asks `applier` from now on (the newest editor still attached), or no editor. */
  private useEditor(applier: EditApplier | undefined): void {
    if (applier === this.applier) return;
    this.applier = applier;
    this.unanswered = undefined; // a new (or no) editor owes no answer
    this.opts.use(applier ? (p) => this.ask(p) : undefined);
  }
}
