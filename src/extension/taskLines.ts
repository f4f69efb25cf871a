// Line-level text work on a task list in the editor: finding a task's line while the person types ahead of the
// engine's last parse, and the text edits behind the quick fixes. Plain Node: no vscode import.

/** A GFM checkbox list item: `- [ ] `, `* [x] `, `1. [ ] ` (group 1 is everything up to the text). */
export const CHECKBOX_RE = /^(\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s+)/;

/** Task/epic/feature-like ids: a letter, then letters/digits, ending in a digit, dotted parts allowed (T001.003, T012). */
const ID_TOKEN_RE = /(?<![\w.])[A-Za-z][A-Za-z0-9_-]*\d(?:\.\d+)*(?![\w]|\.\d)/g;

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A RegExp matching `id` as a whole token (T001.003 does not match inside T001.0031 or XT001.003). */
export function idPattern(id: string, flags = ''): RegExp {
  return new RegExp(`(?<![\\w.])${escapeRegExp(id)}(?![\\w]|\\.\\d)`, flags);
}

/** The lines a document has, read lazily (a TextDocument or an array). */
export interface LineSource {
  lineCount: number;
  lineAt(line: number): string;
}

/** Adapts an array of lines to a LineSource. */
export function linesOf(lines: readonly string[]): LineSource {
  return { lineCount: lines.length, lineAt: (i) => lines[i] ?? '' };
}

/**
 * Where each task's checkbox line is in the document now. The engine's `line` is from its last parse; while a
 * person types (before the debounced re-parse), lines shift. A task keeps its line when that line still carries
 * its id; otherwise it is found by id on another checkbox line; a task found nowhere is left out.
 */
export function locateTaskLines(doc: LineSource, tasks: readonly { id: string; line: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  let index: Map<string, number> | undefined;
  const byId = (): Map<string, number> => {
    if (index) return index;
    index = new Map();
    for (let i = 0; i < doc.lineCount; i++) {
      const text = doc.lineAt(i);
      const m = CHECKBOX_RE.exec(text);
      if (!m) continue;
      for (const tok of text.slice(m[1].length).matchAll(ID_TOKEN_RE)) if (!index.has(tok[0])) index.set(tok[0], i);
    }
    return index;
  };
  for (const t of tasks) {
    if (t.line >= 0 && t.line < doc.lineCount) {
      const text = doc.lineAt(t.line);
      if (CHECKBOX_RE.test(text) && idPattern(t.id).test(text)) {
        out.set(t.id, t.line);
        continue;
      }
    }
    const found = byId().get(t.id);
    if (found !== undefined) out.set(t.id, found);
    // A task written without an id (provisional id) keeps the engine's line if that is still a checkbox.
    else if (t.line >= 0 && t.line < doc.lineCount && CHECKBOX_RE.test(doc.lineAt(t.line)) && !hasIdToken(doc.lineAt(t.line))) out.set(t.id, t.line);
  }
  return out;
}

function hasIdToken(text: string): boolean {
  const m = CHECKBOX_RE.exec(text);
  if (!m) return false;
  const rest = text.slice(m[1].length).replace(/^\*\*|^__/, '');
  return /^[A-Za-z][A-Za-z0-9_-]*\d(?:\.\d+)*(?:\*\*|__)?(?:\s|$)/.test(rest);
}

/** The id-like token at `character` in a line, with its span, or undefined. */
export function idAt(text: string, character: number): { id: string; start: number; end: number } | undefined {
  for (const m of text.matchAll(ID_TOKEN_RE)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    if (character >= start && character <= end) return { id: m[0], start, end };
  }
  return undefined;
}

/** A change to one line: its new text, or its deletion. */
export type LineChange = { kind: 'replace'; text: string } | { kind: 'delete' };

/** `- Depends on: A, B` and its spellings; group 1 is the prefix up to the list, group 2 the list. */
const DEP_BULLET_RE =
  /^(\s*(?:[-*+]\s+)?(?:\*\*|__)?(?:depends\s+on|dependencies|deps|requires|needs|after|blocked\s+by\s+tasks?)(?:\*\*|__)?\s*:(?:\*\*|__)?\s*)(.*)$/i;

/**
 * Removes the dependency on `id` written on this line (the quick fix for a cycle or an unknown id): from a
 * `Depends on:` list (the whole line goes when it was the only one), from an inline list, or an implicit
 * "after T001.003" phrase in a title. Undefined when the id is not on the line.
 */
export function removeDependency(text: string, id: string): LineChange | undefined {
  const idRe = idPattern(id);
  if (!idRe.test(text)) return undefined;
  const bullet = DEP_BULLET_RE.exec(text);
  if (bullet && !CHECKBOX_RE.test(text)) {
    const items = splitList(bullet[2]);
    const kept = items.filter((item) => !idRe.test(item));
    if (kept.length === 0) return { kind: 'delete' };
    return { kind: 'replace', text: `${bullet[1]}${kept.join(', ')}` };
  }
  // On a task line, the task's own id is never the dependency to remove (a self-dependency names it twice).
  const head = taskHead(text);
  const body = text.slice(head.length);
  if (!idRe.test(body)) return undefined;
  const e = `(?<![\\w.])${escapeRegExp(id)}(?![\\w]|\\.\\d)`;
  const attempts: [RegExp, string][] = [
    // Inline lists: drop the id together with one separator.
    [new RegExp(`\\s*(?:,|;|\\s+and)\\s*${e}`), ''],
    [new RegExp(`${e}\\s*(?:,|;)\\s*`), ''],
    [new RegExp(`${e}\\s+and\\s+`), ''],
    // Inline forms whose keyword only serves this id: `(depends on T1)`, `after T1`.
    [new RegExp(`\\s*\\(\\s*(?:depends(?:\\s+on)?|deps|after|requires|needs)?\\s*:?\\s*${e}\\s*\\)`, 'i'), ''],
    [new RegExp(`\\s*\\b(?:depends\\s+on|after|requires|needs)\\s*:?\\s+${e}`, 'i'), ''],
    [new RegExp(`\\s*${e}`), ''],
  ];
  for (const [re, by] of attempts) {
    if (re.test(body)) return { kind: 'replace', text: head + body.replace(re, by) };
  }
  return undefined;
}

/** The checkbox and the task's own id token at the start of a task line (`- [ ] **T001.004** `), or ''. */
function taskHead(text: string): string {
  const m = CHECKBOX_RE.exec(text);
  if (!m) return '';
  const id = /^(?:\*\*|__)?[A-Za-z][A-Za-z0-9_-]*\d(?:\.\d+)*(?:\*\*|__)?/.exec(text.slice(m[1].length));
  return m[1] + (id ? id[0] : '');
}

function splitList(list: string): string[] {
  return list
    .split(/\s*(?:,|;|\band\b)\s*/i)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Writes `id` on a checkbox line that has none, in the file's style (`**T001.004** ` or `T001 `). */
export function assignId(text: string, id: string, bold: boolean): LineChange | undefined {
  const m = CHECKBOX_RE.exec(text);
  if (!m) return undefined;
  const token = bold ? `**${id}**` : id;
  return { kind: 'replace', text: `${m[1]}${token} ${text.slice(m[1].length)}` };
}

/** Replaces the first whole-token `oldId` on a line with `newId` (the fix for a duplicate id). */
export function replaceId(text: string, oldId: string, newId: string): LineChange | undefined {
  const re = idPattern(oldId);
  if (!re.test(text)) return undefined;
  return { kind: 'replace', text: text.replace(re, newId) };
}

/**
 * The next free id in the series of `near` (`T001.007` → `T001.015` when T001.014 is the highest of the series),
 * keeping the zero padding. Without `near`, continues the most common series in `existing`.
 */
export function nextFreeId(existing: Iterable<string>, near?: string): string {
  const ids = [...existing];
  const taken = new Set(ids);
  const split = (id: string): { prefix: string; num: string } | undefined => {
    const m = /^(.*?)(\d+)$/.exec(id);
    return m ? { prefix: m[1], num: m[2] } : undefined;
  };
  let series = near ? split(near) : undefined;
  if (!series) {
    const counts = new Map<string, { n: number; sample: { prefix: string; num: string } }>();
    for (const id of ids) {
      const s = split(id);
      if (!s) continue;
      const c = counts.get(s.prefix);
      if (c) c.n++;
      else counts.set(s.prefix, { n: 1, sample: s });
    }
    series = [...counts.values()].sort((a, b) => b.n - a.n)[0]?.sample ?? { prefix: 'T', num: '000' };
  }
  const { prefix } = series;
  let width = series.num.length;
  let max = 0;
  for (const id of ids) {
    const s = split(id);
    if (!s || s.prefix !== prefix) continue;
    max = Math.max(max, Number(s.num));
    width = Math.max(width, s.num.length);
  }
  let n = max + 1;
  let candidate = `${prefix}${String(n).padStart(width, '0')}`;
  while (taken.has(candidate)) candidate = `${prefix}${String(++n).padStart(width, '0')}`;
  return candidate;
}

/** Whether the file writes task ids in bold (`- [ ] **T001.001** ...`), judged from its checkbox lines. */
export function usesBoldIds(doc: LineSource): boolean {
  let bold = 0;
  let plain = 0;
  for (let i = 0; i < doc.lineCount && bold + plain < 50; i++) {
    const text = doc.lineAt(i);
    const m = CHECKBOX_RE.exec(text);
    if (!m) continue;
    const rest = text.slice(m[1].length);
    if (/^\*\*[A-Za-z][\w.-]*\d\*\*/.test(rest)) bold++;
    else if (/^[A-Za-z][\w-]*\d(?:\.\d+)*\s/.test(rest)) plain++;
  }
  return bold >= plain && bold > 0 ? true : plain > 0 ? false : true;
}

/** The id written at the start of a task line (`- [ ] **T001.004** ...` → T001.004), or undefined. */
export function taskIdOnLine(text: string): string | undefined {
  const m = CHECKBOX_RE.exec(text);
  if (!m) return undefined;
  return /^(?:\*\*|__)?([A-Za-z][A-Za-z0-9_-]*\d(?:\.\d+)*)(?:\*\*|__)?(?=\s|$)/.exec(text.slice(m[1].length))?.[1];
}

/** The checkbox line at or above `line` (a sub-bullet belongs to the task above it); undefined past a heading. */
export function findTaskLine(doc: LineSource, line: number): number | undefined {
  for (let i = Math.min(line, doc.lineCount - 1); i >= 0; i--) {
    const text = doc.lineAt(i);
    if (CHECKBOX_RE.test(text)) return i;
    if (/^\s*#/.test(text)) return undefined;
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
    if (i > task && (CHECKBOX_RE.test(doc.lineAt(i)) || /^\s*#/.test(doc.lineAt(i)))) break;
    if (removeDependency(doc.lineAt(i), id)) return i;
  }
  return undefined;
}
