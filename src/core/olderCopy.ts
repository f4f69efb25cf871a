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
// The same holds of the `failed`/`timeout` badges the engine wrote when an agent failed for good (a copy read before
// the failure shows the line without it, and the merge would run the task again): a badge is an outcome like a tick,
// with the time its attempt ended, and both count together. And a copy read before a task was added lacks its lines:
// once a write is judged an older copy, the tasks it lacks that were added after the newest outcome it still shows
// are put back, not archived (olderCopyMissing, putBackTaskLines).
//
// So unticking one task on its own always runs it again, and so does unticking older tasks while newer ones stay
// ticked; ticks a person typed are the person's to take back (only agents' completions count here, on both sides).
// What is not told apart: an older copy that undoes a single completion (it reads as one deliberate untick), and a
// person unticking the two or more newest completions in one save (it reads as an older copy; the warning says to
// untick them one at a time). Pure: the sync service gathers the facts (src/engine/sync/syncService.ts); the warning's
// words are olderCopyText (src/protocol/presentation.ts).

/**
 * An outcome of an agent's attempt that the engine wrote into the markdown and the last sync saw there: a tick (the
 * task completed) or a `failed`/`timeout` badge (it failed for good). An older copy predating it shows neither.
 */
export interface WrittenOutcome {
  id: string;
  /** When the attempt ended so (ms since the epoch); undefined when the database does not say. */
  at: number | undefined;
  /** The write being synced no longer shows it (the box unticked, the badge gone). */
  reverted: boolean;
}

/** An older copy must revert at least this many outcomes to be told from a person unticking one task. */
export const OLDER_COPY_MIN_REVERTS = 2;

/**
 * The outcomes a write reverted because it is an older copy (see the top of this file), in the order given; empty
 * when the write does not look like one. An outcome whose time is unknown is never among them, nor sets the mark.
 */
export function olderCopyReverts(outcomes: readonly WrittenOutcome[]): string[] {
  const mark = newestKept(outcomes);
  const reverted = outcomes.filter((c) => c.reverted && c.at !== undefined && c.at > mark).map((c) => c.id);
  return reverted.length >= OLDER_COPY_MIN_REVERTS ? reverted : [];
}

/** A live task that the last sync saw in the markdown and the write being synced lacks. */
export interface MissingTask {
  id: string;
  /** When its line first reached the database (ms since the epoch); undefined when the database does not say. */
  addedAt: number | undefined;
}

/**
 * Of the tasks an older copy lacks, those added after the copy may have been read, which the copy lacks because it
 * is older, not because someone removed them: added after the newest outcome the copy still shows (it was read after
 * that one reached the file). They are put back instead of archived. Empty when the write is not an older copy
 * (olderCopyReverts). A task of unknown age is left to the ordinary rule (archived).
 * A task added between that outcome and the copy's read, then removed by the other program on purpose, comes back
 * too: the file cannot say which, and a line put back is a line the person can delete again, where a line archived
 * was the person's text gone from the file.
 */
export function olderCopyMissing(outcomes: readonly WrittenOutcome[], missing: readonly MissingTask[]): string[] {
  if (olderCopyReverts(outcomes).length === 0) return [];
  const mark = newestKept(outcomes);
  return missing.filter((t) => t.addedAt !== undefined && t.addedAt > mark).map((t) => t.id);
}

/** A task's place in a text: its id and its 0-based checkbox line. */
export interface PlacedTask {
  id: string;
  line: number;
}

/**
 * `text` with the lines of the tasks `ids` put back from `prevText` (where `prevTasks` says they were): each task's
 * line and the lines under it indented deeper (its sub-bullets, notes, nested tasks), exactly as they were, after the
 * nearest task before it in `prevText` that `text` still has (`tasks`) or that was put back, else before the nearest
 * one after it, else at the end. Lines keep their own endings.
 */
export function putBackTaskLines(
  prevText: string,
  prevTasks: readonly PlacedTask[],
  text: string,
  tasks: readonly PlacedTask[],
  ids: readonly string[],
): string {
  const prev = prevText.split('\n');
  const lines = text.split('\n');
  const want = new Set(ids);
  const at = new Map(tasks.map((t) => [t.id, t.line]));
  const order = [...prevTasks].sort((a, b) => a.line - b.line);
  let coveredTo = -1; // prevText lines already put back with a parent's block
  for (let i = 0; i < order.length; i++) {
    const t = order[i];
    if (!want.has(t.id) || at.has(t.id) || t.line <= coveredTo) continue;
    const end = blockEnd(prev, t.line);
    coveredTo = end - 1;
    const block = prev.slice(t.line, end);
    let insertAt: number | undefined;
    for (let j = i - 1; j >= 0 && insertAt === undefined; j--) {
      const anchor = at.get(order[j].id);
      if (anchor !== undefined) insertAt = blockEnd(lines, anchor);
    }
    for (let j = i + 1; j < order.length && insertAt === undefined; j++) insertAt = at.get(order[j].id);
    if (insertAt === undefined) insertAt = lines.length > 0 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    lines.splice(insertAt, 0, ...block);
    for (const [id, line] of at) if (line >= insertAt) at.set(id, line + block.length);
    at.set(t.id, insertAt);
  }
  return lines.join('\n');
}

/** The line after the block of the task at `line`: the lines below it that are indented deeper and not blank. */
function blockEnd(lines: readonly string[], line: number): number {
  const indent = (l: string): number => l.length - l.trimStart().length;
  const own = indent(lines[line]);
  let end = line + 1;
  while (end < lines.length && lines[end].trim() !== '' && indent(lines[end]) > own) end++;
  return end;
}

/** The newest outcome the write still shows (-Infinity when it shows none). */
function newestKept(outcomes: readonly WrittenOutcome[]): number {
  let newest = -Infinity;
  for (const c of outcomes) if (!c.reverted && c.at !== undefined && c.at > newest) newest = c.at;
  return newest;
}
