// Incremental re-parse: after a small edit, patch the previous TaskList instead of parsing the whole file again.
// Pure core. The sync service calls it on every sync (a watcher fires on every save), so a one-line change to a
// 10,000-task file must not cost a full markdown-it pass.
//
// It handles the edits people make all the time — ticking a checkbox, retitling a task, typing in a title, a status
// badge — and gives up (returns undefined: the caller parses the whole file) on anything else. The rule it relies on:
//
//   A task line whose text before the checkbox (indentation, list marker) is unchanged, that stays a task line with
//   a non-empty title, and that contains no `|`, keeps the document's block structure: markdown-it decides list
//   items, paragraphs, fences, HTML blocks, quotes and headings from what STARTS a line and from the lines around it,
//   and the text after `[ ] ` starts nothing. (`|` is excluded because a following delimiter row could turn the
//   item's paragraph into a table.) Its task then keeps its place, epic, feature and id; only what that line alone
//   says can change.
//
// So each changed line must be, before and after, a task line of the previous parse with the same prefix; and what
// the line says that reaches beyond its own task node — its id, its dependency references, its tags and `[P]`, and
// every metadata value that sub-bullets may override (priority, estimate, agent, verify, timeout, blockers) — must
// be unchanged. Then only the title, the status and the line's own diagnostics change. Everything else (a line added
// or removed, a line-ending change, an edit to a sub-bullet, a heading, prose or a code block, an id or dependency
// edit) falls back. test/unit/core/incremental.property.test.ts checks that every list returned equals a full parse.
import type { Diagnostic, IdKind, TaskList, TaskNode } from './model';
import { emptyTitleDiagnostic, toDiagnostic } from './parse/drafts';
import { namesPhase } from './parse/groups';
import { analyzeTaskLine, isCheckpointTitle, type IdSpan, type LineRef, type TaskLineAnalysis } from './taskLine';
import { ownCopy, splitLines, type SplitText } from './textLines';

/** More changed lines than this is a rewrite, not an edit: parsing the whole file is as cheap. */
const MAX_CHANGED_LINES = 64;

/**
 * Returns `parseTaskList(newText)` computed from `prevList` (which MUST be `parseTaskList(prevText)`) when the edit
 * from `prevText` to `newText` only changes what task lines say about their own title and status (see the rule at the
 * top of this file); undefined when the whole file must be parsed. Never throws on any text.
 */
export function reparseIncremental(prevText: string, prevList: TaskList, newText: string): TaskList | undefined {
  if (prevText === newText) return prevList;
  const range = changedLines(prevText, newText);
  return range && reparseChangedLines(prevList, range);
}

/**
 * The same from a change already located (the sync service finds it in the file's bytes, without decoding the
 * whole file): `before`/`after` are the whole lines that differ, starting at `firstLine`; all else is identical.
 */
export function reparseChangedLines(prevList: TaskList, range: ChangedLines): TaskList | undefined {
  const { firstLine, before, after } = range;
  if (before.lines.length !== after.lines.length) return undefined;
  const tasks = prevList.tasks;
  let outTasks: TaskNode[] | undefined;
  let diagnostics = prevList.diagnostics;
  let changed = 0;
  const at: number[] = [];
  for (let i = 0; i < before.lines.length; i++) {
    if (before.ends[i] !== after.ends[i]) return undefined; // a line ending changed: the dominant eol may too
    const oldText = before.lines[i];
    if (oldText === after.lines[i]) continue;
    // What the patched task keeps (its title, its diagnostics' messages) is cut from this line. A slice of the whole
    // text would keep that text alive as long as the task lives: one more copy of the file per edit.
    const newText2 = ownCopy(after.lines[i]);
    if (++changed > MAX_CHANGED_LINES) return undefined;
    const line = firstLine + i;
    const k = taskAtLine(tasks, line);
    if (k < 0) return undefined;
    const patch = patchTaskLine(tasks[k], oldText, newText2, line, prevList.numbering);
    if (!patch) return undefined;
    outTasks ??= tasks.slice();
    outTasks[k] = patch.node;
    at.push(k);
    if (patch.oldOwn.length > 0 || patch.newOwn.length > 0) {
      const d = replaceLineDiagnostics(diagnostics, line, patch.oldOwn, patch.newOwn);
      if (!d) return undefined;
      diagnostics = d;
    }
  }
  if (!outTasks) return prevList; // only unchanged lines (cannot happen for different texts, but harmless)
  patchedTasks.set(outTasks, { from: new WeakRef(tasks), at });
  return { ...prevList, tasks: outTasks, diagnostics };
}

/**
 * Task arrays this parser patched: the array each was copied from (held weakly: a patched list must not keep every
 * earlier one alive) and the indices it replaced. Arrays are never changed once returned, so the answer stays true.
 */
const patchedTasks = new WeakMap<readonly TaskNode[], { from: WeakRef<readonly TaskNode[]>; at: readonly number[] }>();

/** How many patches back tasksChangedSince looks (a sync usually needs one or two: its parse, its own write-back). */
const MAX_PATCH_DEPTH = 8;

/**
 * The indices at which `tasks` can hold other task objects than `base`, when this parser made `tasks` by patching
 * `base` (directly or through a few patches; then both have the same length and every other index holds the same
 * object); undefined when it does not know (compare every task). Lets the sync skip its passes over all tasks after a
 * one-line edit: a 10,000-task plan is not walked to find the one task that changed.
 */
export function tasksChangedSince(tasks: readonly TaskNode[], base: readonly TaskNode[]): readonly number[] | undefined {
  if (tasks === base) return [];
  let at: readonly number[] = [];
  let t = tasks;
  for (let depth = 0; depth < MAX_PATCH_DEPTH; depth++) {
    const p = patchedTasks.get(t);
    const from = p?.from.deref();
    if (!p || !from) return undefined;
    at = at.length === 0 ? p.at : [...at, ...p.at];
    if (from === base) return at;
    t = from;
  }
  return undefined;
}

// ---- where the texts differ --------------------------------------------------------------------------------------

/** Where two texts differ, in whole lines. */
export interface ChangedLines {
  /** 0-based line number of the first line of both regions. */
  firstLine: number;
  /** The whole lines covering the change in the old and the new text (same first line; the rest is identical). */
  before: SplitText;
  after: SplitText;
}

const CHUNK = 4096;

/** Length of the common prefix, compared a chunk at a time (native string equality) then by character. */
function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p + CHUNK <= n && a.slice(p, p + CHUNK) === b.slice(p, p + CHUNK)) p += CHUNK;
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return p;
}

/** Length of the common suffix, at most `max`. */
function commonSuffix(a: string, b: string, max: number): number {
  let s = 0;
  while (s + CHUNK <= max && a.slice(a.length - s - CHUNK, a.length - s) === b.slice(b.length - s - CHUNK, b.length - s)) s += CHUNK;
  while (s < max && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return s;
}

const CR = 13;
const LF = 10;

/**
 * The line-aligned regions that differ. Undefined when the change touches a line break in a way that could join or
 * split a `\r\n` pair (then line numbering itself is in question and a full parse decides).
 */
function changedLines(a: string, b: string): ChangedLines | undefined {
  const p = commonPrefix(a, b);
  const s = commonSuffix(a, b, Math.min(a.length, b.length) - p);
  // A change between a `\r` and a `\n` may turn them into one break, or one break into two.
  if (p > 0 && a.charCodeAt(p - 1) === CR && (a.charCodeAt(p) === LF || b.charCodeAt(p) === LF)) return undefined;
  if (s > 0 && a.charCodeAt(a.length - s) === LF && (a.charCodeAt(a.length - s - 1) === CR || b.charCodeAt(b.length - s - 1) === CR)) return undefined;
  // Start of the line holding the first difference: just after the last break before it (in the common prefix).
  let start = p;
  while (start > 0) {
    const c = a.charCodeAt(start - 1);
    if (c === LF || c === CR) break;
    start--;
  }
  // End of the line holding the last difference: the first break at or after it (in the common suffix, so at the
  // same distance from the end in both texts).
  let endA = a.length - s;
  while (endA < a.length) {
    const c = a.charCodeAt(endA);
    if (c === LF || c === CR) break;
    endA++;
  }
  const endB = endA - a.length + b.length;
  return { firstLine: countLineBreaks(a, start), before: splitLines(a.slice(start, endA)), after: splitLines(b.slice(start, endB)) };
}

/** Number of line breaks (`\r\n`, `\r` or `\n`, as in textLines.ts) in `text` before `end`, which starts a line. */
function countLineBreaks(text: string, end: number): number {
  let n = 0;
  let i = text.indexOf('\n');
  while (i >= 0 && i < end) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  // Lone `\r` breaks are rare (old Mac files); only then count them one by one.
  let r = text.indexOf('\r');
  while (r >= 0 && r < end) {
    if (text.charCodeAt(r + 1) !== LF) n++;
    r = text.indexOf('\r', r + 1);
  }
  return n;
}

/** `s` in a string of its own (V8 makes slices of long strings views into their parent; flattening a concatenation copies). */

/** Index of the task whose checkbox is on `line` (tasks are in document order), or -1. */
function taskAtLine(tasks: readonly TaskNode[], line: number): number {
  let lo = 0;
  let hi = tasks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = tasks[mid].line;
    if (l === line) return mid;
    if (l < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

// ---- one task line -----------------------------------------------------------------------------------------------

interface LinePatch {
  node: TaskNode;
  /** Diagnostics the old line produced by itself (its metadata problems, an empty title), and the new line's. */
  oldOwn: Diagnostic[];
  newOwn: Diagnostic[];
}

function patchTaskLine(task: TaskNode, oldLine: string, newLine: string, line: number, numbering: readonly IdKind[] | undefined): LinePatch | undefined {
  if (oldLine.includes('|') || newLine.includes('|')) return undefined;
  const a = analyzeTaskLine(oldLine, line);
  const b = analyzeTaskLine(newLine, line);
  if (!a || !b || a.checkboxColumn !== b.checkboxColumn) return undefined;
  const box = a.checkboxColumn;
  // Same indentation and list marker up to and including `[`; a title after the box (an empty box is no task).
  if (oldLine.slice(0, box + 1) !== newLine.slice(0, box + 1) || newLine.slice(box + 3).trim() === '') return undefined;
  if (!sameReach(a, b)) return undefined;
  // A weak id (`2.1`) is the task's id or part of its title, as the whole file decided (TaskList.numbering).
  const title = titleOf(b, numbering);
  // A title naming a phase may make its checkbox stand for the phase (parse/groups.ts): a whole-file question.
  if (namesPhase(title) || namesPhase(task.title)) return undefined;
  // `Review:` / `Checkpoint:` makes the task a checkpoint gate (TaskNode.gate): the parser decides it.
  if (isCheckpointTitle(title) !== isCheckpointTitle(task.title)) return undefined;
  const node: TaskNode = { ...task, title, status: b.status };
  return { node, oldOwn: ownDiagnostics(a, titleOf(a, numbering), task.id, line), newOwn: ownDiagnostics(b, title, task.id, line) };
}

function titleOf(a: TaskLineAnalysis, numbering: readonly IdKind[] | undefined): string {
  return a.weakId && !a.id && !numbering?.includes(a.weakId.kind) ? (a.titleWithWeakId ?? a.title) : a.title;
}

/** True when everything the line says beyond its own title and status is the same (see the top of this file). */
function sameReach(a: TaskLineAnalysis, b: TaskLineAnalysis): boolean {
  const x = a.meta;
  const y = b.meta;
  return (
    sameId(a.id, b.id) &&
    sameId(a.weakId, b.weakId) &&
    a.optional === b.optional &&
    x.priority === y.priority &&
    x.estimateHours === y.estimateHours &&
    x.agent === y.agent &&
    x.verify === y.verify &&
    x.timeoutMinutes === y.timeoutMinutes &&
    x.gate === y.gate &&
    x.isolation === y.isolation &&
    sameStrings(x.files ?? [], y.files ?? []) &&
    x.parallel === y.parallel &&
    x.serial === y.serial &&
    sameStrings(x.tags, y.tags) &&
    sameStrings(x.blockers, y.blockers) &&
    sameRefs(x.refs, y.refs)
  );
}

function sameId(a: IdSpan | undefined, b: IdSpan | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.value === b.value &&
    a.kind === b.kind &&
    a.start === b.start &&
    a.end === b.end &&
    a.valueStart === b.valueStart &&
    a.valueEnd === b.valueEnd &&
    a.style === b.style
  );
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameRefs(a: readonly LineRef[], b: readonly LineRef[]): boolean {
  return (
    a.length === b.length &&
    a.every((r, i) => {
      const s = b[i];
      return r.id === s.id && r.line === s.line && r.column === s.column && r.source === s.source && r.type === s.type && r.kind === s.kind;
    })
  );
}

/** The diagnostics parseTaskList makes from this line alone: its metadata problems, then an empty title. */
function ownDiagnostics(a: TaskLineAnalysis, title: string, taskId: string, line: number): Diagnostic[] {
  const out = a.meta.problems.map(toDiagnostic);
  if (title === '') out.push(emptyTitleDiagnostic(taskId, line, a.checkboxColumn));
  return out;
}

// ---- diagnostics -------------------------------------------------------------------------------------------------

/**
 * `diagnostics` (sorted by line, then column, stably) with the old line's own diagnostics replaced by the new ones.
 * The others on that line (a duplicate id, an unknown dependency) were pushed before the line's own problems by the
 * parser, so among equal columns they stay first. Undefined when an old diagnostic is not where it should be.
 */
function replaceLineDiagnostics(
  diagnostics: readonly Diagnostic[],
  line: number,
  oldOwn: readonly Diagnostic[],
  newOwn: readonly Diagnostic[],
): Diagnostic[] | undefined {
  let lo = 0;
  let hi = diagnostics.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (diagnostics[mid].line < line) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < diagnostics.length && diagnostics[end].line === line) end++;
  const others = diagnostics.slice(lo, end);
  for (const d of oldOwn) {
    const k = others.findIndex((o) => sameDiagnostic(o, d));
    if (k < 0) return undefined;
    others.splice(k, 1);
  }
  const block = [...others, ...newOwn].sort((x, y) => x.column - y.column); // stable (ES2019)
  return [...diagnostics.slice(0, lo), ...block, ...diagnostics.slice(end)];
}

function sameDiagnostic(a: Diagnostic, b: Diagnostic): boolean {
  return (
    a.line === b.line &&
    a.column === b.column &&
    a.endLine === b.endLine &&
    a.endColumn === b.endColumn &&
    a.severity === b.severity &&
    a.code === b.code &&
    a.message === b.message &&
    JSON.stringify(a.data) === JSON.stringify(b.data)
  );
}
