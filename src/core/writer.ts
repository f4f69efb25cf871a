// Surgical writes into a task-list file. An edit changes the bytes of ONE task line — the checkbox character, the
// status badge, the id — and nothing else: every other line, every line ending (CRLF, LF, lone CR), trailing spaces
// and unicode stay byte-identical. Writing is two steps so sync can merge and check before touching the file:
//   planTaskEdits   task-level intents → line-level edits, each carrying the exact line text it expects (`before`)
//   applyLineEdits  applies them, refusing any whose `before` no longer matches (the person edited that line since)
// Status encoding (docs/tasklist-format.md): pending `[ ]`, completed `[x]`; in_progress, blocked, failed, timeout,
// cancelled `[ ]` + a trailing `` `status:<name>` `` badge; skipped `[x]` + `` `status:skipped` ``.
import { TASK_STATUSES, type TaskList, type TaskStatus } from './model';
import { formatId, formatStatusBadge, isTaskIdShape, locateTaskLine, analyzeTaskLine, type IdStyle, type TaskLineShape } from './taskLine';
import { joinLines, splitLines } from './textLines';

/** An intended change to one task: a new status, a new id written into its line, or both. */
export interface TaskEdit {
  taskId: string;
  status?: TaskStatus;
  assignId?: string;
}

/** One line's replacement; `before`/`after` are the line's text without its line ending. */
export interface LineEdit {
  line: number;
  before: string;
  after: string;
}

const CHECKED: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['completed', 'skipped']);
const BADGE_FREE: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['pending', 'completed']);

/**
 * Turns task edits into line edits against `text` (the file `list` was parsed from). Edits naming a task that is not
 * in the list, or whose line is no longer a task line, are returned in `unknown`. Edits that change nothing produce
 * no line edit. Throws a RangeError naming the bad value for a status that is not a TaskStatus or an id that is not
 * an id.
 */
export function planTaskEdits(text: string, list: TaskList, edits: readonly TaskEdit[]): { lineEdits: LineEdit[]; unknown: string[] } {
  for (const e of edits) {
    if (e.status !== undefined && !TASK_STATUSES.includes(e.status)) {
      throw new RangeError(`planTaskEdits: status ${JSON.stringify(e.status)} of task ${e.taskId} is not one of ${TASK_STATUSES.join(', ')}`);
    }
    if (e.assignId !== undefined && !isTaskIdShape(e.assignId)) {
      throw new RangeError(`planTaskEdits: id ${JSON.stringify(e.assignId)} for task ${e.taskId} is not a task id (e.g. T001.011, T027, API-12)`);
    }
  }
  const unknown: string[] = [];
  if (edits.length === 0) return { lineEdits: [], unknown };
  const { lines } = splitLines(text);
  // The first task with an id owns it (a later duplicate is reported by the parser, never edited through the id).
  const byId = new Map<string, number>();
  for (const t of list.tasks) if (!byId.has(t.id)) byId.set(t.id, t.line);
  const style = edits.some((e) => e.assignId !== undefined) ? idStyleOf(lines, list) : 'bare';
  const tick = edits.some((e) => e.status !== undefined && CHECKED.has(e.status)) ? tickOf(lines, list) : 'x';

  const current = new Map<number, string>();
  for (const e of edits) {
    const line = byId.get(e.taskId);
    const before = line === undefined ? undefined : (current.get(line) ?? lines[line]);
    if (line === undefined || before === undefined || !locateTaskLine(before)) {
      unknown.push(e.taskId);
      continue;
    }
    let after = before;
    if (e.assignId !== undefined) after = withId(after, e.assignId, style);
    if (e.status !== undefined) after = withStatus(after, e.status, tick);
    current.set(line, after);
  }
  const lineEdits: LineEdit[] = [];
  for (const [line, after] of [...current].sort((a, b) => a[0] - b[0])) {
    if (after !== lines[line]) lineEdits.push({ line, before: lines[line], after });
  }
  return { lineEdits, unknown };
}

/**
 * Applies line edits in order. An edit whose `before` does not match the line's current text (or whose line does
 * not exist) is not applied and is returned in `stale`; every byte not covered by an applied edit is kept.
 */
export function applyLineEdits(text: string, lineEdits: readonly LineEdit[]): { text: string; stale: LineEdit[] } {
  const stale: LineEdit[] = [];
  if (lineEdits.length === 0) return { text, stale };
  for (const e of lineEdits) {
    if (/[\r\n]/.test(e.after))
      throw new RangeError(`applyLineEdits: the new text for line ${e.line} contains a line break; an edit replaces exactly one line`);
  }
  const split = splitLines(text);
  for (const e of lineEdits) {
    if (Number.isInteger(e.line) && e.line >= 0 && e.line < split.lines.length && split.lines[e.line] === e.before) {
      split.lines[e.line] = e.after;
    } else {
      stale.push(e);
    }
  }
  return { text: joinLines(split), stale };
}

/**
 * The line with its checkbox and badge rewritten for `status`; unchanged when it already reads as `status`. A box
 * ticked here takes `tick` (the file's own habit, `x` or `X`); a box already ticked keeps its own.
 */
export function withStatus(line: string, status: TaskStatus, tick: 'x' | 'X' = 'x'): string {
  const a = analyzeTaskLine(line);
  if (!a) return line;
  const clean = a.badges.every((b) => b.status !== undefined) && !a.meta.problems.some((p) => p.code === 'status-conflict');
  if (a.status === status && clean) return line;

  const mark = CHECKED.has(status) ? (a.mark === 'X' || a.mark === 'x' ? a.mark : tick) : ' ';
  const badge = BADGE_FREE.has(status) ? undefined : formatStatusBadge(status);
  // One pass over the badges (sorted, never overlapping): keep the last one rewritten when a badge is needed,
  // remove the others together with the one space the writer put before each, so add-then-remove restores the line.
  const badges = [...a.badges].sort((x, y) => x.start - y.start);
  const keep = badge !== undefined && badges.length > 0 ? badges[badges.length - 1] : undefined;
  const parts: string[] = [];
  let at = 0;
  for (const b of badges) {
    if (b === keep) {
      parts.push(line.slice(at, b.start), badge!);
    } else {
      const s = b.start > Math.max(at, a.contentStart) && (line[b.start - 1] === ' ' || line[b.start - 1] === '\t') ? b.start - 1 : b.start;
      parts.push(line.slice(at, s));
    }
    at = b.end;
  }
  parts.push(line.slice(at));
  let out = parts.join('');
  if (badge !== undefined && keep === undefined) {
    let q = out.length;
    while (q > a.contentStart && (out[q - 1] === ' ' || out[q - 1] === '\t')) q--;
    out = out.slice(0, q) + ' ' + badge + out.slice(q);
  }
  return out.slice(0, a.checkboxColumn + 1) + mark + out.slice(a.checkboxColumn + 2);
}

/**
 * The line with `id` written as its task id: replacing a written id (keeping its decoration), or inserted after the
 * checkbox in `style`. MUST write only what the parser reads back as `id` (a written id that is not read is a task
 * without an id, which would get an id written again on every sync): a bare tracker key is followed by a colon
 * (`SC-002: …`, the only bare form read as a key), and a form that still does not read back falls back to bold. The
 * line is returned unchanged when no form reads back.
 */
export function withId(line: string, id: string, style: IdStyle): string {
  const shape = locateTaskLine(line);
  if (!shape) return line;
  if (shape.id) {
    const out = line.slice(0, shape.id.valueStart) + id + line.slice(shape.id.valueEnd);
    return locateTaskLine(out)?.id?.value === id ? out : line;
  }
  let p = shape.contentStart;
  while (line[p] === ' ' || line[p] === '\t') p++;
  for (const written of idForms(id, style)) {
    const out =
      p >= line.length ? line.slice(0, shape.contentStart) + ' ' + written + line.slice(shape.contentStart) : line.slice(0, p) + written + ' ' + line.slice(p);
    if (locateTaskLine(out)?.id?.value === id) return out;
  }
  return line;
}

/** The ways to write `id` in `style`, best first. */
function idForms(id: string, style: IdStyle): string[] {
  const first = formatId(id, style);
  return style === 'bare' ? [first, `${id}:`, formatId(id, 'bold')] : [first, formatId(id, 'bold')];
}

/** How this file ticks a box: `X` when most of its ticked boxes are `[X]`, else `x`. */
function tickOf(lines: readonly string[], list: TaskList): 'x' | 'X' {
  let upper = 0;
  let lower = 0;
  // A sample is enough to know a file's habit; this keeps a write-back cheap on huge files.
  const n = Math.min(list.tasks.length, 2000);
  for (let i = 0; i < n; i++) {
    const text = lines[list.tasks[i].line];
    const mark = text === undefined ? undefined : locateTaskLine(text)?.mark;
    if (mark === 'X') upper++;
    else if (mark === 'x') lower++;
  }
  return upper > lower ? 'X' : 'x';
}

/** The way this file writes task ids (majority of written ids); bold by default, bare for Spec Kit. */
function idStyleOf(lines: readonly string[], list: TaskList): IdStyle {
  function* written(): Generator<string> {
    for (const t of list.tasks) if (t.idExplicit && lines[t.line] !== undefined) yield lines[t.line];
  }
  return idStyleIn(written(), list.dialect === 'speckit' ? 'bare' : 'bold');
}

/**
 * The way most of these task lines write their id (`**T1**`, `` `T1` ``, `[T1]`, `T1`), judged from the first 500 (a
 * sample is enough to know a file's habit, and keeps this cheap on huge files); `fallback` when none has an id.
 */
export function idStyleIn(taskLines: Iterable<string>, fallback: IdStyle): IdStyle {
  const counts = new Map<IdStyle, number>();
  let seen = 0;
  for (const line of taskLines) {
    const shape: TaskLineShape | undefined = locateTaskLine(line);
    if (shape?.id) counts.set(shape.id.style, (counts.get(shape.id.style) ?? 0) + 1);
    if (++seen >= 500) break;
  }
  let best: IdStyle = fallback;
  let n = 0;
  for (const [style, c] of counts) {
    if (c > n) {
      best = style;
      n = c;
    }
  }
  return best;
}
