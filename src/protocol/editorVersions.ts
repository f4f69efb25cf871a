// The version numbers an editor gives its open task list in what the engine sees of it: the texts it sends
// (`coditect/documentChanged`) and the document an engine edit leaves (`coditect/applyEdits`' answer). One rule for
// the extension (src/extension/editSync.ts) and for the tests that play the editor over the real protocol.
//
// The engine reads a text numbered lower than one it has seen as older, and drops it. An engine edit makes a new
// version the engine computed itself: before the answer carried it, a text the editor sent just before the edit landed
// (a debounced keystroke, a resend after 'stale') reached the engine after the edit's answer, was taken as newer, and
// read as a person undoing the edit: the engine's tick stayed in the document while the store said pending, and
// nothing corrected it (editorSync's clean-up, 2 integration runs of 4 on 2026-12-04).

/** What the editor answers for an engine edit it applied, and whether it must send the engine its text. */
export interface AppliedVersion {
  /** The version the edit made (ApplyEditsResult.version). */
  version: number;
  /**
   * The engine computed the edit on another text than the document had (an older one, or the file on disk): its idea
   * of the document lacks something, and its texts sent before this version are dropped from now on. Send it the
   * document's text.
   */
  resend: boolean;
}

/**
 * Per document (a key: its uri): the numbers its texts go to the engine with. An editor counts a document's versions
 * from 1 each time it is opened; the engine must see them grow across a close and reopen (it drops older ones), so
 * each opening is numbered on from the highest number the engine may have seen.
 */
export class EditorVersions {
  /** What is added to the editor's own version number of the document in this opening. */
  private readonly base = new Map<string, number>();
  /** The highest number the engine may know the document by: the last text sent or the last edit applied. */
  private readonly highest = new Map<string, number>();

  /** The number to send the document's text with now; `documentVersion` is the editor's own. */
  sending(key: string, documentVersion: number): number {
    const v = (this.base.get(key) ?? 0) + documentVersion;
    this.raise(key, v);
    return v;
  }

  /**
   * The engine's edit, computed on the text numbered `computedOn` (undefined: not on a text of this editor, e.g. the
   * file on disk), was applied to the document at the editor's version `documentVersion` as one version step.
   */
  applied(key: string, documentVersion: number, computedOn: number | undefined): AppliedVersion {
    const before = (this.base.get(key) ?? 0) + documentVersion;
    const version = before + 1;
    this.raise(key, version);
    return { version, resend: computedOn !== before };
  }

  /** The highest number the engine may know this document by (undefined: it never had a text of it from here). */
  last(key: string): number | undefined {
    return this.highest.get(key);
  }

  /** The document was closed: its next opening counts on from the highest number the engine may have seen. */
  closed(key: string): void {
    const last = this.highest.get(key);
    if (last !== undefined) this.base.set(key, last);
  }

  private raise(key: string, v: number): void {
    if (v > (this.highest.get(key) ?? -Infinity)) this.highest.set(key, v);
  }
}
