// The editors that apply an engine's markdown edits (`coditect/applyEdits`): the owner's own window and every window
// attached to it may each have said it can. One is asked at a time — the latest to come that is still connected — and
// when it leaves, the one before it is asked again. (With a single slot, the second window's leaving took the first
// window's editor away too: from then on its open document only learnt of the engine's writes from the disk.)

/** A stack of registrations, newest on top; `add` returns the removal of that one registration (idempotent). */
export class EditorStack<T> {
  private readonly entries: { value: T }[] = [];

  /** The newest registration still present, if any. */
  get current(): T | undefined {
    return this.entries[this.entries.length - 1]?.value;
  }

  /** Registers `value` on top; the result removes this registration only and says whether it was still there. */
  add(value: T): () => boolean {
    const entry = { value };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i < 0) return false;
      this.entries.splice(i, 1);
      return true;
    };
  }
}
