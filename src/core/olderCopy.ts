// Another program saving an older copy of the task list (#14 item 7). A tool that read the file, kept it a while and
// wrote its copy back (a stale read-modify-write; an editor holding an old buffer; `git checkout` of the file) undoes
// every tick the engine wrote since it read: to the three-way merge that is the markdown changing `completed` back to
// `pending`, which reopens — and re-runs — finished work (5 tasks re-ran so). A person unticking a task to run it
// again makes the very same change to the very same line, so no single line can tell the two apart; the shape of
// the whole write can:
//
//   an older copy unticks EVERY tick the engine wrote after the moment it was read, and none before it; so, taking
//   the newest agent completion the write leaves ticked, the tasks agents completed after it that the write unticks
//   — when there are two or more — are what a copy saved before they were completed shows. They stay completed (the
//   box is ticked again) and a warning says so; any other untick reopens its task as before.
//
// So unticking one task on its own always runs it again, and so does unticking older tasks while newer ones stay
// ticked; ticks a person typed are the person's to take back (only agents' completions count here, on both sides).
// What is not told apart: an older copy that undoes a single completion (it reads as one deliberate untick), and a
// person unticking the two or more newest completions in one save (it reads as an older copy; the warning says to
// untick them one at a time). Pure: the sync service gathers the facts (src/engine/sync/syncService.ts); the warning's
// words are olderCopyText (src/protocol/presentation.ts).

/** A task an agent completed whose tick the engine wrote, and the last sync saw, in the markdown. */
export interface TickedCompletion {
  id: string;
  /** When it was completed (ms since the epoch); undefined when the database does not say. */
  completedAt: number | undefined;
  /** The write being synced shows its box unticked. */
  unticked: boolean;
}

/** An older copy must undo at least this many completions to be told from a person unticking one task. */
export const OLDER_COPY_MIN_REVERTS = 2;

/**
 * The tasks a write unticked because it is an older copy (see the top of this file), in the order given; empty when
 * the write does not look like one. A task whose completion time is unknown is never among them, nor sets the mark.
 */
export function olderCopyReverts(completions: readonly TickedCompletion[]): string[] {
  let newestTicked = -Infinity;
  for (const c of completions) if (!c.unticked && c.completedAt !== undefined && c.completedAt > newestTicked) newestTicked = c.completedAt;
  const reverted = completions.filter((c) => c.unticked && c.completedAt !== undefined && c.completedAt > newestTicked).map((c) => c.id);
  return reverted.length >= OLDER_COPY_MIN_REVERTS ? reverted : [];
}
