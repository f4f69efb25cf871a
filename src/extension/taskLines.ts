// Line-level text work on a task list in the editor: finding a task's line while the person types ahead of the
// engine's last parse, and the text edits behind the quick fixes. The grammar is the core's — what a task line is
// (any checkbox the parser reads: `[ ]`, `[x]`, `[/]`, `[-]`…), its own id, its `Depends on:` lines
// (src/core/taskLine.ts) and how an id is written (src/core/writer.ts) — so the editor never disagrees with the engine
// about which line is which task. This file only adapts it to a document read line by line. Plain Node: no vscode.
import { idWordPattern, locateTaskLine, metaLineKey, type IdStyle } from '../core/taskLine';
import { idStyleIn, withId } from '../core/writer';

/** The lines a document has, read lazily (a TextDocument or an array). */
export interface LineSource {
  lineCount: number;
  lineAt(line: number): string;
}

/** Adapts an array of lines to a LineSource. */
export function linesOf(lines: readonly string[]): LineSource {
  return { lineCount: lines.length, lineAt: (i) => lines[i] ?? '' };
}

/** Whether the line is a task line (a list item with a checkbox, whatever its mark). */
function isTaskLine(text: string): boolean {
  return locateTaskLine(text) !== undefined;
}

/** A markdown heading: a task's sub-bullets never reach past one. */
const HEADING_RE = /^\s*#/;

/**
 * The ids a task line may be known by: its written id, or the number it starts with (`2.1`), which is its id when
 * the file numbers its tasks that way (the engine decides per file; a task with another id never matches it).
 */
function ownIds(text: string): string[] {
  const shape = locateTaskLine(text);
  if (!shape) return [];
  const out: string[] = [];
  if (shape.id) out.push(shape.id.value);
  if (shape.weakId) out.push(shape.weakId.value);
  return out;
}

/**
 * Where each task's checkbox line is in the document now. The engine's `line` is from its last parse; while a
 * person types (before the debounced re-parse), lines shift. A task keeps its line when that line is still its own
 * (it carries the task's id); otherwise it is found on the task line that carries its id; a task found nowhere is
 * left out. A task written without an id (a provisional id) keeps the engine's line while that is a task line with
 * no id of its own.
 */
export function locateTaskLines(doc: LineSource, tasks: readonly { id: string; line: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  let index: Map<string, number> | undefined;
  const byId = (): Map<string, number> => {
    if (index) return index;
    index = new Map();
    for (let i = 0; i < doc.lineCount; i++) for (const id of ownIds(doc.lineAt(i))) if (!index.has(id)) index.set(id, i);
    return index;
  };
  for (const t of tasks) {
    const inDoc = t.line >= 0 && t.line < doc.lineCount;
    const shape = inDoc ? locateTaskLine(doc.lineAt(t.line)) : undefined;
    if (shape && (shape.id?.value === t.id || shape.weakId?.value === t.id)) {
      out.set(t.id, t.line);
      continue;
    }
    const found = byId().get(t.id);
    if (found !== undefined) out.set(t.id, found);
    else if (shape && !shape.id) out.set(t.id, t.line);
  }
  return out;
}

/** A change to one line: its new text, or its deletion. */
export type LineChange = { kind: 'replace'; text: string } | { kind: 'delete' };

/** A list marker before a metadata line (`  - Depends on: …`). */
const BULLET_RE = /^\s*(?:[-*+]\s+)?/;

/**
 * Removes the dependency on `id` written on this line (the quick fix for a cycle or an unknown id): from a
 * `Depends on:` or `Blocked by:` list (the whole line goes when it was the only one), from an inline list, or an
 * implicit "after T001.003" phrase in a title. Undefined when the id is not on the line.
 */
export function removeDependency(text: string, id: string): LineChange | undefined {
  const idRe = idWordPattern(id);
  if (!idRe.test(text)) return undefined;
  const shape = locateTaskLine(text);
  if (!shape) {
    const bullet = BULLET_RE.exec(text)![0].length;
    const meta = metaLineKey(text.slice(bullet));
    if (meta && (meta.key === 'deps' || meta.key === 'blocked')) {
      const prefix = text.slice(0, bullet + meta.valueStart);
      const kept = splitList(text.slice(prefix.length)).filter((item) => !idRe.test(item));
      if (kept.length === 0) return { kind: 'delete' };
      return { kind: 'replace', text: `${prefix}${kept.join(', ')}` };
    }
  }
  // On a task line, the task's own id is never the dependency to remove (a self-dependency names it twice).
  const headEnd = shape ? (shape.id?.end ?? shape.contentStart) : 0;
  const head = text.slice(0, headEnd);
  const body = text.slice(headEnd);
  if (!idRe.test(body)) return undefined;
  const e = idRe.source;
  const attempts: RegExp[] = [
    // Inline lists: drop the id together with one separator.
    new RegExp(`\\s*(?:,|;|\\s+and)\\s*${e}`),
    new RegExp(`${e}\\s*(?:,|;)\\s*`),
    new RegExp(`${e}\\s+and\\s+`),
    // Inline forms whose keyword only serves this id: `(depends on T1)`, `after T1`.
    new RegExp(`\\s*\\(\\s*(?:depends(?:\\s+on)?|deps|after|requires|needs)?\\s*:?\\s*${e}\\s*\\)`, 'i'),
    new RegExp(`\\s*\\b(?:depends\\s+on|after|requires|needs)\\s*:?\\s+${e}`, 'i'),
    new RegExp(`\\s*${e}`),
  ];
  for (const re of attempts) {
    if (re.test(body)) return { kind: 'replace', text: head + body.replace(re, '') };
  }
  return undefined;
}

function splitList(list: string): string[] {
  return list
    .split(/\s*(?:,|;|\band\b)\s*/i)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Writes `id` on a task line that has none, in `style` (the file's: see idStyleOf), as the engine's writer would. */
export function assignId(text: string, id: string, style: IdStyle): LineChange | undefined {
  if (!isTaskLine(text)) return undefined;
  const out = withId(text, id, style);
  return out === text ? undefined : { kind: 'replace', text: out };
}

/** Replaces `oldId` on a line with `newId` (the fix for a duplicate id): the task's own id, else the first mention. */
export function replaceId(text: string, oldId: string, newId: string): LineChange | undefined {
  if (locateTaskLine(text)?.id?.value === oldId) {
    const out = withId(text, newId, 'bold');
    if (out !== text) return { kind: 'replace', text: out };
  }
  const re = idWordPattern(oldId);
  if (!re.test(text)) return undefined;
  return { kind: 'replace', text: text.replace(re, newId) };
}

/** How the file writes task ids (`**T001.001**`, `T001`, …), judged from its task lines; bold when none has an id. */
export function idStyleOf(doc: LineSource): IdStyle {
  function* taskLines(): Generator<string> {
    for (let i = 0; i < doc.lineCount; i++) {
      const text = doc.lineAt(i);
      if (isTaskLine(text)) yield text;
    }
  }
  return idStyleIn(taskLines(), 'bold');
}

/** The id written on a task line (`- [ ] **T001.004** ...` → T001.004), or undefined. */
export function taskIdOnLine(text: string): string | undefined {
  return locateTaskLine(text)?.id?.value;
}

/** The task line at or above `line` (a sub-bullet belongs to the task above it); undefined past a heading. */
export function findTaskLine(doc: LineSource, line: number): number | undefined {
  for (let i = Math.min(line, doc.lineCount - 1); i >= 0; i--) {
    const text = doc.lineAt(i);
    if (isTaskLine(text)) return i;
    if (HEADING_RE.test(text)) return undefined;
  }
  return undefined;
}

/**
 * The line where the task around `line` names dependency `id`: `line` itself when it does, else the task's own
 * line or one of its sub-bullets (the diagnostic's line can be stale by the time the fix is asked for).
 */
export function findDependencyLine(doc: LineSource, line: number, id: string): number | undefined {
  if (line < doc.lineCount && removeDependency(doc.lineAt(line), id)) return line;
  const task = findTaskLine(doc, line);
  if (task === undefined) return undefined;
  for (let i = task; i < doc.lineCount; i++) {
    if (i > task && (isTaskLine(doc.lineAt(i)) || HEADING_RE.test(doc.lineAt(i)))) break;
    if (removeDependency(doc.lineAt(i), id)) return i;
  }
  return undefined;
}
