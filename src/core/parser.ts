// Markdown task list → TaskList. Pure core: no fs, no vscode, no database.
//
// How it reads a file (the format itself is documented in docs/tasklist-format.md):
//  1. Split into lines exactly as the writer does (textLines.ts), blank a YAML front-matter block.
//  2. Run markdown-it's BLOCK parser (inline parsing disabled: it is not needed and costs most of the time) and walk
//     its tokens with their source maps. markdown-it decides what is a list item, a heading, a code block, an HTML
//     block, a blockquote or a table, so a checkbox inside a fence, a comment, a quote or a table is never a task.
//     Large files are parsed in chunks cut at top-level block boundaries (see parseBlocks), so memory stays bounded
//     and time linear even at 50 MB.
//  3. A list item whose first paragraph starts with `[ ]`, `[x]`, `[X]`, `[/]` or `[-]` is a task; its line is read by
//     taskLine.ts. Its direct sub-bullets and its paragraph's continuation lines carry metadata (`Depends on:` …).
//  4. Headings become epics and features (levels chosen per file), ids are derived or allocated, dependency ids are
//     resolved, and Spec Kit's implicit rules add `implicit` and `phase` edges.
// parseTaskList never throws: bad input becomes diagnostics, and the text itself is never modified here.
import MarkdownIt from 'markdown-it';
import { allocateTaskIds } from './ids';
import {
  type DependencyRef,
  type Diagnostic,
  type Dialect,
  type EpicNode,
  type FeatureNode,
  type IdKind,
  type Priority,
  type TaskList,
  type TaskNode,
} from './model';
import { analyzeTaskLine, parsePriority, readMetaLine, readMetaValue, type IdSpan, type LineProblem, type MetaKey, type TaskLineAnalysis } from './taskLine';
import { dominantEol, splitLines } from './textLines';
import { errorMessage } from './describe';

type Token = MarkdownIt.Token;

/** Lines handed to markdown-it at a time; a chunk grows (doubling) only when one block is longer than this. */
const CHUNK_LINES = 1000;

let mdInstance: MarkdownIt | undefined;
function markdown(): MarkdownIt {
  if (!mdInstance) {
    // `html: true` so that `<!-- … -->` and other HTML blocks are recognised (their contents are not tasks).
    mdInstance = new MarkdownIt('default', { html: true });
    // Only block structure matters; inline parsing (and the core rules that post-process it) would triple the time.
    mdInstance.core.ruler.disable(['inline', 'linkify', 'replacements', 'smartquotes', 'text_join'], true);
  }
  return mdInstance;
}

// ---- pass 1: block structure ----------------------------------------------------------------------------------

interface TaskDraft {
  /** Drafts are their own events (one object less per task on huge files). */
  k: 'task';
  line: number;
  a: TaskLineAnalysis;
  epic?: EpicDraft;
  feature?: FeatureDraft;
  /** Position in the list of tasks (set when the hierarchy is built). */
  i?: number;
  /** The id written on the line, once the file's numbering is known (see readNumbering). */
  id?: IdSpan;
  /** The title, once the file's numbering is known. */
  title?: string;
  /** The id is a weak id the file numbers its tasks with: a duplicate of it is no error (see assignTaskIds). */
  weak?: boolean;
}

type Ev =
  | { k: 'heading'; line: number; level: number; text: string }
  | TaskDraft
  /** `**Depends on**: Phase 2` in a phase's own section. */
  | { k: 'phaseSelf'; line: number; text: string }
  /** `- **Polish (Final Phase)**: Depends on …` in a "Phase Dependencies" section. */
  | { k: 'phaseRule'; line: number; sel: PhaseSelector; text: string };

type PhaseSelector = { kind: 'exact'; n: number } | { kind: 'from'; n: number } | { kind: 'range'; a: number; b: number } | { kind: 'final' };

type Frame = { kind: 'task'; draft: TaskDraft } | { kind: 'metaList'; key: MetaKey; draft: TaskDraft } | { kind: 'other' };

interface WalkState {
  lines: string[];
  events: Ev[];
  diagnostics: Diagnostic[];
  lastHeading: string;
}

const CHECKBOX_START = /^\[[ xX/-]\](?:[ \t]|$)/;
const MALFORMED_BOX = /^\[(?:|[ \t]{2,}|[ \t]*[xX✓✔][ \t]+|[ \t]+[xX✓✔][ \t]*)\]|^\[[ xX]\](?=[^ \t\]\[(:])/;
const PHASE_LABEL = /\bPhases?[ \t]+(\d+)[ \t]*(\+|[-–][ \t]*(\d+))?|\b(?:Final|Last)[ \t]+Phase\b/i;
const SELF_DEPENDS = /^(?:\*\*|__)?(?:depends[ \t]+on|dependencies)(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*(.+)$/i;

/** Feeds markdown-it the file in chunks that end at a top-level block (or top-level list item) boundary. */
function parseBlocks(st: WalkState, mdLines: string[]): void {
  const md = markdown();
  const n = mdLines.length;
  let start = 0;
  let size = CHUNK_LINES;
  while (start < n) {
    const end = Math.min(n, start + size);
    const tokens = md.parse(mdLines.slice(start, end).join('\n'), {});
    let stop = tokens.length;
    let next = end;
    if (end < n) {
      // The last top-level block may continue past the chunk: keep everything before it and re-read it next time.
      // Blocks before it ended before it began, so their parse cannot change when more lines follow.
      let split = -1;
      for (let i = tokens.length - 1; i >= 0; i--) {
        const t = tokens[i];
        if (!t.map || t.nesting === -1 || t.map[0] === 0) continue;
        if (t.level === 0 || (t.level === 1 && t.type === 'list_item_open')) {
          split = i;
          break;
        }
      }
      if (split < 0) {
        size *= 2; // one block longer than the chunk: read a bigger chunk from the same place
        continue;
      }
      stop = split;
      next = start + tokens[split].map![0];
    }
    walk(st, tokens, stop, start);
    start = next;
    size = CHUNK_LINES;
  }
}

function walk(st: WalkState, tokens: Token[], stop: number, offset: number): void {
  const stack: Frame[] = [];
  let quote = 0;
  for (let i = 0; i < stop; i++) {
    const t = tokens[i];
    switch (t.type) {
      case 'blockquote_open':
        quote++;
        break;
      case 'blockquote_close':
        quote--;
        break;
      case 'heading_open':
        if (quote === 0 && stack.length === 0 && t.map) {
          const text = tokens[i + 1]?.content ?? '';
          st.events.push({ k: 'heading', line: offset + t.map[0], level: Number(t.tag.slice(1)), text });
          st.lastHeading = text;
        }
        break;
      case 'list_item_open':
        if (quote === 0) stack.push(listItem(st, tokens, i, offset, stack[stack.length - 1]));
        break;
      case 'list_item_close':
        if (quote === 0) stack.pop();
        break;
      case 'paragraph_open':
        if (quote === 0 && stack.length === 0 && t.map) {
          const line = offset + t.map[0];
          const raw = st.lines[line];
          const text = raw.trimStart();
          checkLooseCheckbox(st, text, line, raw.length - text.length);
          checkStatements(st, text, line);
        }
        break;
    }
  }
}

function listItem(st: WalkState, tokens: Token[], i: number, offset: number, parent: Frame | undefined): Frame {
  const item = tokens[i];
  if (!item.map) return { kind: 'other' };
  const line = offset + item.map[0];
  const raw = st.lines[line];
  const para = tokens[i + 1];
  if (!para || para.type !== 'paragraph_open' || !para.map || para.map[0] !== item.map[0]) return { kind: 'other' };
  const content = tokens[i + 2]?.content ?? '';
  const nl = content.indexOf('\n');
  const first = nl < 0 ? content : content.slice(0, nl);
  if (CHECKBOX_START.test(first) && first.slice(3).trim() === '') {
    st.diagnostics.push({
      line,
      column: contentColumn(raw, first),
      severity: 'warning',
      code: 'empty-task',
      message: 'A checkbox with no text is not a task; write a title after it',
    });
    return { kind: 'other' };
  }
  if (CHECKBOX_START.test(first)) {
    const a = analyzeTaskLine(raw, line);
    if (a) {
      const draft: TaskDraft = { k: 'task', line, a };
      st.events.push(draft);
      // Continuation lines of the task's own paragraph may carry metadata too ("  Depends on: T1").
      for (let l = para.map[0] + 1; l < para.map[1]; l++) {
        const r = st.lines[offset + l];
        const text = r.trimStart();
        if (!readMetaLine(text, offset + l, r.length - text.length, a.meta)) checkLooseCheckbox(st, text, offset + l, r.length - text.length);
      }
      return { kind: 'task', draft };
    }
  }
  const col = contentColumn(raw, first);
  if (parent?.kind === 'task') {
    const r = readMetaLine(first, line, col, parent.draft.a.meta);
    return r?.empty ? { kind: 'metaList', key: r.key, draft: parent.draft } : { kind: 'other' };
  }
  if (parent?.kind === 'metaList') {
    const value = first.replace(/[ \t]+$/, '');
    if (value) readMetaValue(parent.key, value, line, col, parent.draft.a.meta);
    return { kind: 'other' };
  }
  if (MALFORMED_BOX.test(first)) {
    st.diagnostics.push({
      line,
      column: col,
      severity: 'warning',
      code: 'malformed-task',
      message: `"${first.slice(0, 8)}…" looks like a task checkbox but is not one: write "- [ ] title" or "- [x] title" (one space or x between the brackets, then a space)`,
    });
  }
  checkStatements(st, first, line);
  return { kind: 'other' };
}

/** Column of a list item's text in its raw line (after the marker). */
function contentColumn(raw: string, first: string): number {
  const m = /^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]*/.exec(raw);
  const at = raw.indexOf(first, m ? m[0].length : 0);
  return at < 0 ? (m ? m[0].length : 0) : at;
}

/** `-[ ] x` or `[ ] x` outside a list: what someone meant as a task, but markdown does not render as one. */
function checkLooseCheckbox(st: WalkState, text: string, line: number, col: number): void {
  if (/^(?:[-*+]\[[ xX]\]|\[[ xX]\][ \t]+\S)/.test(text)) {
    st.diagnostics.push({
      line,
      column: col,
      severity: 'warning',
      code: 'malformed-task',
      message: 'This checkbox is not in a list item, so it is not a task: write "- [ ] title" (a dash, a space, then the box)',
    });
  }
}

function checkStatements(st: WalkState, text: string, line: number): void {
  const self = SELF_DEPENDS.exec(text);
  if (self) {
    st.events.push({ k: 'phaseSelf', line, text: self[1] });
    return;
  }
  const rule = /^(?:\*\*|__)([^*_]+?)(?:\*\*|__)[ \t]*:?[ \t]*(.*)$/.exec(text);
  if (!rule || !/depend/i.test(st.lastHeading)) return;
  const p = PHASE_LABEL.exec(rule[1]);
  if (!p) return;
  let sel: PhaseSelector;
  if (p[1] === undefined) sel = { kind: 'final' };
  else if (p[2] === '+') sel = { kind: 'from', n: Number(p[1]) };
  else if (p[3] !== undefined) sel = { kind: 'range', a: Number(p[1]), b: Number(p[3]) };
  else sel = { kind: 'exact', n: Number(p[1]) };
  st.events.push({ k: 'phaseRule', line, sel, text: rule[2] });
}

/** Front matter (`---` … `---` at the very top) is metadata, not markdown: hide it from markdown-it. */
function frontMatterEnd(lines: readonly string[]): number {
  if (lines.length < 2 || lines[0].trimEnd() !== '---') return 0;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i].trimEnd();
    if (l === '---' || l === '...') return i + 1;
  }
  return 0;
}

// ---- pass 2: hierarchy ------------------------------------------------------------------------------------------

interface HeadingInfo {
  explicitEpic?: string;
  explicitFeature?: string;
  idColumn: number;
  phaseNo?: number;
  /** `Epic 3: …` → 3; a derived id prefers it. */
  numberHint?: number;
  title: string;
  priority?: Priority;
  problems: LineProblem[];
}

interface EpicDraft {
  line: number;
  info: HeadingInfo;
  synthetic: boolean;
  features: FeatureDraft[];
  direct?: FeatureDraft;
  tasks: TaskDraft[];
  id: string;
  idExplicit: boolean;
  phase: boolean;
  selfRule?: { line: number; text: string };
}

interface FeatureDraft {
  line: number;
  info: HeadingInfo;
  epic: EpicDraft;
  synthetic: boolean;
  tasks: TaskDraft[];
  id: string;
  idExplicit: boolean;
}

function analyzeHeading(text: string, line: number, raw: string): HeadingInfo {
  const problems: LineProblem[] = [];
  let t = text.trim();
  let explicitEpic: string | undefined;
  let explicitFeature: string | undefined;
  let phaseNo: number | undefined;
  let numberHint: number | undefined;
  let m: RegExpExecArray | null;
  const idColumn = Math.max(0, raw.indexOf(t.slice(0, 12)));
  if ((m = /^(?:[Ee]pic[ \t]+)?(?:\*\*|__|`)?(E\d+(?:\.\d+)*)(?:\*\*|__|`)?(?=[\s:.\-–—]|$)[ \t]*[:.\-–—]?[ \t]*/.exec(t))) {
    explicitEpic = m[1];
    t = t.slice(m[0].length);
  } else if ((m = /^(?:[Ff]eature[ \t]+)?(?:\*\*|__|`)?(F\d+(?:\.\d+)*)(?:\*\*|__|`)?(?=[\s:.\-–—]|$)[ \t]*[:.\-–—]?[ \t]*/.exec(t))) {
    explicitFeature = m[1];
    t = t.slice(m[0].length);
  } else if ((m = /^phase[ \t]+(\d+)\b/i.exec(t))) {
    phaseNo = Number(m[1]);
  } else if ((m = /^(?:epic|milestone|feature|story)[ \t]+(\d+)\b/i.exec(t))) {
    numberHint = Number(m[1]);
  }
  let priority: Priority | undefined;
  const prio = /[ \t]*(?:\((?:priority|prio)[ \t]*[:=]?[ \t]*([\w-]+)\)|\[(P\d)\]|\((P\d)\))/i.exec(t);
  if (prio) {
    const value = prio[1] ?? prio[2] ?? prio[3];
    priority = parsePriority(value);
    if (!priority) {
      const col = Math.max(0, raw.indexOf(prio[0].trim()));
      problems.push({
        line,
        column: col,
        endColumn: col + prio[0].trim().length,
        severity: 'warning',
        code: 'bad-priority',
        message: `Unknown priority "${value}"; expected P0, P1, P2 or P3`,
      });
    }
    t = t.slice(0, prio.index) + t.slice(prio.index + prio[0].length);
  }
  return { explicitEpic, explicitFeature, idColumn, phaseNo, numberHint, title: t.replace(/\s+/g, ' ').trim(), priority, problems };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Parses a markdown task list. Never throws; every problem is a diagnostic. */
export function parseTaskList(text: string): TaskList {
  try {
    return parse(text);
  } catch (e) {
    // A bug must not take the editor or the engine down with it; report it where the user will see it.
    return {
      dialect: 'markdown',
      eol: '\n',
      epics: [],
      features: [],
      tasks: [],
      diagnostics: [
        {
          line: 0,
          column: 0,
          severity: 'error',
          code: 'internal-error',
          message: `The task-list parser failed (${errorMessage(e)}); nothing was read from this file`,
        },
      ],
    };
  }
}

function parse(text: string): TaskList {
  const { lines, ends } = splitLines(text);
  const diagnostics: Diagnostic[] = [];
  const st: WalkState = { lines, events: [], diagnostics, lastHeading: '' };

  const fm = frontMatterEnd(lines);
  const mdLines = fm > 0 ? lines.map((l, i) => (i < fm ? '' : l)) : lines;
  parseBlocks(st, mdLines);

  const { epics, tasks, rules } = buildHierarchy(st.events, lines, diagnostics);
  const numbering = readNumbering(tasks);
  const { epicNodes, featureNodes } = assignGroupIds(epics, diagnostics);
  const dialect = detectDialect(tasks, epics, numbering);
  const taskIds = assignTaskIds(tasks, dialect, epicNodes, diagnostics);
  const deps = resolveDependencies(tasks, taskIds, epics, diagnostics);
  applySpecKitRules(epics, taskIds, rules, deps, diagnostics);

  const taskNodes: TaskNode[] = tasks.map((d, i) => {
    const { a } = d;
    const m = a.meta;
    for (const p of m.problems) diagnostics.push(toDiagnostic(p));
    if (d.title === '') diagnostics.push(emptyTitleDiagnostic(taskIds[i].id, d.line, a.checkboxColumn));
    const node: TaskNode = {
      id: taskIds[i].id,
      idExplicit: taskIds[i].idExplicit,
      epicId: d.epic!.id,
      featureId: d.feature!.id,
      title: d.title!,
      status: a.status,
      line: d.line,
      // Arrays grown by push keep spare capacity (17 slots for one element); a plan keeps 10,000 of each alive.
      dependsOn: exact(deps[i]),
      blockers: exact(m.blockers),
      parallel: m.parallel,
      tags: exact(m.tags),
    };
    if (m.priority !== undefined) node.priority = m.priority;
    if (m.estimateHours !== undefined) node.estimateHours = m.estimateHours;
    if (m.agent !== undefined) node.agent = m.agent;
    if (m.verify !== undefined) node.verify = m.verify;
    if (m.timeoutMinutes !== undefined) node.timeoutMinutes = m.timeoutMinutes;
    return node;
  });

  diagnostics.sort((x, y) => x.line - y.line || x.column - y.column);
  const list: TaskList = { dialect, eol: dominantEol(ends), epics: epicNodes, features: featureNodes, tasks: taskNodes, diagnostics };
  if (numbering.size > 0) list.numbering = [...numbering];
  return list;
}

/** Weak id kinds (outline numbers, bare keys) read as ids when at least two tasks, and three quarters of those without a written id, start with one. */
const WEAK_KINDS: readonly IdKind[] = ['outline', 'key'];

/**
 * Decides which numbers are this file's ids (a Kiro file numbers every task `1.`, `2.1`; a roadmap with one "2.0
 * migration guide" does not), then sets every draft's id and title accordingly. See TaskList.numbering.
 */
function readNumbering(tasks: readonly TaskDraft[]): Set<IdKind> {
  const counts = new Map<IdKind, number>();
  let unnamed = 0;
  for (const d of tasks) {
    if (d.a.id) continue;
    unnamed++;
    const w = d.a.weakId;
    if (w) counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
  }
  const kinds = new Set<IdKind>();
  for (const k of WEAK_KINDS) {
    const n = counts.get(k) ?? 0;
    if (n >= 2 && n * 4 >= unnamed * 3) kinds.add(k);
  }
  for (const d of tasks) {
    const { a } = d;
    if (a.id) {
      d.id = a.id;
      d.title = a.title;
    } else if (a.weakId && kinds.has(a.weakId.kind)) {
      d.id = a.weakId;
      d.weak = true;
      d.title = a.title;
    } else {
      d.title = a.titleWithWeakId ?? a.title;
    }
  }
  return kinds;
}

/** The file's dialect (see model.ts): only the evidence of each format counts, never a heading name alone. */
function detectDialect(tasks: readonly TaskDraft[], epics: readonly EpicDraft[], numbering: ReadonlySet<IdKind>): Dialect {
  let flat = 0;
  let dotted = 0;
  let tagged = false;
  for (const d of tasks) {
    const v = d.id?.value;
    if (v !== undefined && d.id!.kind === 'task') {
      if (v.includes('.')) dotted++;
      else flat++;
    }
    if (d.a.meta.parallel || d.a.meta.tags.some((g) => /^US\d+$/.test(g))) tagged = true;
  }
  const phases = epics.some((e) => e.phase);
  if (flat > 0 && (tagged || (phases && flat * 2 >= tasks.length))) return 'speckit';
  if (epics.some((e) => e.info.explicitEpic || e.features.some((f) => f.info.explicitFeature))) return 'coditect';
  if (dotted > 0 && dotted >= flat) return 'coditect';
  if (numbering.has('outline')) return 'kiro';
  return 'markdown';
}

/** The array with no spare capacity (slice copies exactly); an empty array already has none. */
function exact<T>(a: T[]): T[] {
  return a.length === 0 ? a : a.slice();
}

/** The warning for a task whose line has an id (or metadata) but no title; shared with the incremental parser. */
export function emptyTitleDiagnostic(taskId: string, line: number, checkboxColumn: number): Diagnostic {
  return { line, column: checkboxColumn, severity: 'warning', code: 'empty-task', message: `Task ${taskId} has no title` };
}

/** A problem found in one line as a diagnostic; shared with the incremental parser. */
export function toDiagnostic(p: LineProblem): Diagnostic {
  const d: Diagnostic = { line: p.line, column: p.column, endLine: p.line, endColumn: p.endColumn, severity: p.severity, code: p.code, message: p.message };
  if (p.data) d.data = p.data;
  return d;
}

interface HeadingEv {
  ev: Extract<Ev, { k: 'heading' }>;
  info: HeadingInfo;
  taskCount: number;
}

function buildHierarchy(
  events: readonly Ev[],
  lines: readonly string[],
  diagnostics: Diagnostic[],
): { epics: EpicDraft[]; tasks: TaskDraft[]; rules: Extract<Ev, { k: 'phaseRule' }>[] } {
  // Count the tasks in each heading's section (subsections included) to tell structure from prose headings.
  const headings: HeadingEv[] = [];
  const open: HeadingEv[] = [];
  for (const ev of events) {
    if (ev.k === 'heading') {
      while (open.length && open[open.length - 1].ev.level >= ev.level) open.pop();
      const h: HeadingEv = { ev, info: analyzeHeading(ev.text, ev.line, lines[ev.line] ?? ''), taskCount: 0 };
      headings.push(h);
      open.push(h);
    } else if (ev.k === 'task') {
      for (let k = 0; k < open.length; k++) open[k].taskCount++;
    }
  }
  const levelOnes = headings.filter((h) => h.ev.level === 1);
  const title = levelOnes.length === 1 && headings[0] === levelOnes[0] && !levelOnes[0].info.explicitEpic ? headings[0] : undefined;
  const rest = headings.filter((h) => h !== title);
  const minLevel = (hs: readonly HeadingEv[]) => (hs.length ? Math.min(...hs.map((h) => h.ev.level)) : undefined);
  const fLevel = minLevel(rest.filter((h) => h.info.explicitFeature));
  let epicLevel = minLevel(rest.filter((h) => h.info.explicitEpic)) ?? minLevel(rest.filter((h) => h.info.phaseNo !== undefined));
  if (epicLevel === undefined) {
    epicLevel = minLevel(rest.filter((h) => h.taskCount > 0 && (fLevel === undefined || h.ev.level < fLevel)));
    if (epicLevel === undefined && fLevel !== undefined) epicLevel = fLevel - 1;
  }
  const deeperF = epicLevel === undefined ? undefined : minLevel(rest.filter((h) => h.info.explicitFeature && h.ev.level > epicLevel!));
  const featureLevel = epicLevel === undefined ? undefined : (deeperF ?? epicLevel + 1);

  const epics: EpicDraft[] = [];
  const tasks: TaskDraft[] = [];
  const rules: Extract<Ev, { k: 'phaseRule' }>[] = [];
  let defaultEpic: EpicDraft | undefined;
  let curEpic: EpicDraft | undefined;
  let curFeature: FeatureDraft | undefined;
  const headingInfo = new Map(headings.map((h) => [h.ev, h]));
  const newEpic = (line: number, info: HeadingInfo, synthetic: boolean): EpicDraft => ({
    line,
    info,
    synthetic,
    features: [],
    tasks: [],
    id: '',
    idExplicit: false,
    phase: info.phaseNo !== undefined,
  });
  const ensureEpic = (atLine: number): EpicDraft => {
    if (curEpic) return curEpic;
    if (!defaultEpic) {
      // Tasks before any epic heading: one epic named after the document title (or "Tasks").
      const line = title ? title.ev.line : atLine;
      defaultEpic = newEpic(line, { idColumn: 0, title: title ? title.info.title : 'Tasks', problems: [] }, true);
      epics.unshift(defaultEpic);
    }
    return (curEpic = defaultEpic);
  };
  for (const ev of events) {
    if (ev.k === 'heading') {
      const h = headingInfo.get(ev)!;
      if (h === title || epicLevel === undefined) continue;
      if (ev.level <= epicLevel) {
        curEpic = newEpic(ev.line, h.info, false);
        epics.push(curEpic);
        curFeature = undefined;
      } else if (ev.level === featureLevel) {
        const epic = ensureEpic(ev.line);
        curFeature = { line: ev.line, info: h.info, epic, synthetic: false, tasks: [], id: '', idExplicit: false };
        epic.features.push(curFeature);
      }
    } else if (ev.k === 'task') {
      const epic = ensureEpic(ev.line);
      let feature = curFeature;
      if (!feature) {
        if (!epic.direct)
          epic.direct = {
            line: epic.line,
            info: { idColumn: 0, title: epic.info.title, problems: [] },
            epic,
            synthetic: true,
            tasks: [],
            id: '',
            idExplicit: false,
          };
        feature = epic.direct;
      }
      ev.epic = epic;
      ev.feature = feature;
      epic.tasks.push(ev);
      feature.tasks.push(ev);
      ev.i = tasks.length;
      tasks.push(ev);
    } else if (ev.k === 'phaseSelf') {
      if (curEpic?.phase && !curEpic.selfRule) curEpic.selfRule = { line: ev.line, text: ev.text };
    } else {
      rules.push(ev);
    }
  }
  // Headings with neither an id nor tasks are prose ("## Notes"), not structure.
  const kept = epics.filter((e) => {
    e.features = e.features.filter((f) => f.info.explicitFeature !== undefined || f.tasks.length > 0);
    return e.info.explicitEpic !== undefined || e.tasks.length > 0 || e.features.length > 0;
  });
  for (const e of kept) for (const p of e.info.problems) diagnostics.push(toDiagnostic(p));
  for (const e of kept) for (const f of e.features) for (const p of f.info.problems) diagnostics.push(toDiagnostic(p));
  return { epics: kept, tasks, rules };
}

function assignGroupIds(epics: EpicDraft[], diagnostics: Diagnostic[]): { epicNodes: EpicNode[]; featureNodes: FeatureNode[] } {
  const takenE = new Set<string>();
  const takenF = new Set<string>();
  const firstE = new Map<string, number>();
  const firstF = new Map<string, number>();
  const dupCheck = (id: string | undefined, first: Map<string, number>, line: number, col: number, kind: string): boolean => {
    if (id === undefined) return false;
    const prev = first.get(id);
    if (prev === undefined) {
      first.set(id, line);
      return true;
    }
    diagnostics.push({
      line,
      column: col,
      endLine: line,
      endColumn: col + id.length,
      severity: 'error',
      code: 'duplicate-id',
      message: `${kind} id ${id} is already used on line ${prev + 1}; this ${kind.toLowerCase()} gets a derived id instead`,
      data: { id, firstLine: prev },
    });
    return false;
  };
  // Written ids first, so a derived id never takes one that is written further down.
  for (const e of epics) {
    if (dupCheck(e.info.explicitEpic, firstE, e.line, e.info.idColumn, 'Epic')) {
      e.id = e.info.explicitEpic!;
      e.idExplicit = true;
      takenE.add(e.id);
    }
    for (const f of e.features) {
      if (dupCheck(f.info.explicitFeature, firstF, f.line, f.info.idColumn, 'Feature')) {
        f.id = f.info.explicitFeature!;
        f.idExplicit = true;
        takenF.add(f.id);
      }
    }
  }
  let prevNum = 0;
  for (const e of epics) {
    if (e.idExplicit) {
      const m = /(\d+)/.exec(e.id);
      if (m) prevNum = Number(m[1]);
      continue;
    }
    let n = e.info.phaseNo ?? e.info.numberHint ?? prevNum + 1;
    while (takenE.has(`E${pad(n, 3)}`)) n++;
    e.id = `E${pad(n, 3)}`;
    takenE.add(e.id);
    prevNum = n;
  }
  const epicNodes: EpicNode[] = [];
  const featureNodes: FeatureNode[] = [];
  for (const e of epics) {
    const node: EpicNode = { id: e.id, idExplicit: e.idExplicit, title: e.info.title, line: e.line };
    if (e.info.priority) node.priority = e.info.priority;
    if (e.phase) node.phase = true;
    epicNodes.push(node);
    const digits = /(\d+)/.exec(e.id)?.[1] ?? pad(epicNodes.length, 3);
    if (e.direct) {
      // Tasks written directly under an epic belong to a synthetic feature `<epicId>.00` (see model.ts).
      e.direct.id = `${e.id}.00`;
      featureNodes.push({ id: e.direct.id, idExplicit: false, epicId: e.id, title: e.info.title, line: e.line });
    }
    let prevK = 0;
    for (const f of e.features) {
      if (!f.idExplicit) {
        let k = f.info.numberHint ?? prevK + 1;
        while (takenF.has(`F${digits}.${pad(k, 2)}`)) k++;
        f.id = `F${digits}.${pad(k, 2)}`;
        takenF.add(f.id);
        prevK = k;
      } else {
        const m = /(\d+)$/.exec(f.id);
        if (m) prevK = Number(m[1]);
      }
      const node: FeatureNode = { id: f.id, idExplicit: f.idExplicit, epicId: e.id, title: f.info.title, line: f.line };
      if (f.info.priority) node.priority = f.info.priority;
      featureNodes.push(node);
    }
  }
  return { epicNodes, featureNodes };
}

interface AssignedId {
  id: string;
  idExplicit: boolean;
}

function assignTaskIds(tasks: readonly TaskDraft[], dialect: Dialect, epics: readonly EpicNode[], diagnostics: Diagnostic[]): AssignedId[] {
  const first = new Map<string, number>();
  const dups: number[] = [];
  const slots = tasks.map((d, i) => {
    let written = d.id?.value;
    if (written !== undefined) {
      // A number the file uses twice (`1.` under two headings) is no error: the later task is known by another id.
      if (first.has(written) && d.weak) written = undefined;
      else if (first.has(written)) dups.push(i);
      else first.set(written, i);
    }
    return { id: written ?? '', idExplicit: written !== undefined, featureId: d.feature!.id, epicId: d.epic!.id };
  });
  const epicOrder = epics.map((e) => e.id);
  const ids = allocateTaskIds(slots, dialect, epicOrder);
  if (dups.length > 0) {
    // Suggest a fresh id for each duplicate, as if it had none, without moving any provisional id.
    const fixed = slots.map((s, i) => ({ ...s, id: ids[i], idExplicit: true }));
    for (const i of dups) fixed[i].idExplicit = false;
    const suggested = allocateTaskIds(fixed, dialect, epicOrder);
    for (const i of dups) {
      const d = tasks[i];
      const id = d.id!;
      const firstLine = tasks[first.get(id.value)!].line;
      diagnostics.push({
        line: d.line,
        column: id.valueStart,
        endLine: d.line,
        endColumn: id.valueEnd,
        severity: 'error',
        code: 'duplicate-id',
        message: `Task id ${id.value} is already used on line ${firstLine + 1}; dependencies on ${id.value} mean that first task (suggested new id: ${suggested[i]})`,
        data: { id: id.value, firstLine, suggestedId: suggested[i] },
      });
    }
  }
  return ids.map((id, i) => ({ id, idExplicit: slots[i].idExplicit }));
}

function resolveDependencies(
  tasks: readonly TaskDraft[],
  ids: readonly AssignedId[],
  epics: readonly EpicDraft[],
  diagnostics: Diagnostic[],
): DependencyRef[][] {
  const byId = new Map<string, number>();
  ids.forEach((x, i) => {
    if (!byId.has(x.id)) byId.set(x.id, i);
  });
  const groups = new Map<string, TaskDraft[]>();
  for (const e of epics) {
    groups.set(e.id, e.tasks);
    if (e.phase && e.info.phaseNo !== undefined) groups.set(`Phase ${e.info.phaseNo}`, e.tasks);
    for (const f of e.features) groups.set(f.id, f.tasks);
  }
  return tasks.map((d, i) => {
    const own = ids[i].id;
    const out = new DepSet();
    // One diagnostic per problem and task, however often the same bad id is written (a set only once there is one).
    let reported: Set<string> | undefined;
    for (const ref of d.a.meta.refs) {
      const target = byId.get(ref.id);
      if (target !== undefined) {
        if (ids[target].id === own) {
          if (ref.kind !== 'mention' && !reported?.has(ref.id)) {
            (reported ??= new Set()).add(ref.id);
            // A written dependency on itself is a cycle of one: kept, so the graph holds the task (a guess from prose is dropped).
            const held = ref.kind === 'list';
            diagnostics.push(
              refDiagnostic(
                ref,
                'error',
                'self-dependency',
                held ? `${own} depends on itself; ${own} is held until the reference is removed` : `${own} depends on itself; the dependency is ignored`,
                { taskId: own },
              ),
            );
            if (held) out.add({ id: own, source: ref.source, type: ref.type, line: ref.line });
          }
          continue;
        }
        // The target's own id string (equal to ref.id): one string per task, not one per reference.
        out.add({ id: ids[target].id, source: ref.source, type: ref.type, line: ref.line });
        continue;
      }
      const group = groups.get(ref.id);
      if (group) {
        // A feature, epic or phase id stands for all of its tasks (never the task itself).
        for (const g of group) {
          const gid = ids[g.i!].id;
          if (gid !== own) out.add({ id: gid, source: ref.source, type: ref.type, line: ref.line });
        }
        continue;
      }
      if (ref.kind === 'mention' || reported?.has(ref.id)) continue;
      (reported ??= new Set()).add(ref.id);
      // A written dependency on an unknown id is kept: the graph holds the task until the reference is fixed (running
      // it would run it before what the person meant). An id guessed from prose (`after T9`) is only a warning.
      const held = ref.kind === 'list';
      if (held) out.add({ id: ref.id, source: ref.source, type: ref.type, line: ref.line });
      diagnostics.push(
        refDiagnostic(
          ref,
          held ? 'error' : 'warning',
          'unknown-dependency',
          held
            ? `${own} depends on unknown task ${ref.id}; ${own} is held until the reference is fixed`
            : `${own} depends on unknown task ${ref.id}; the dependency is ignored`,
          {
            taskId: own,
            id: ref.id,
          },
        ),
      );
    }
    return out.refs;
  });
}

/** A diagnostic spanning the id of a dependency reference. */
function refDiagnostic(
  ref: { line: number; column: number; id: string },
  severity: Diagnostic['severity'],
  code: string,
  message: string,
  data: Record<string, unknown>,
): Diagnostic {
  return { line: ref.line, column: ref.column, endLine: ref.line, endColumn: ref.column + ref.id.length, severity, code, message, data };
}

/** A task's dependencies, one per id in writing order; a blocking reference upgrades an earlier soft one. */
class DepSet {
  readonly refs: DependencyRef[] = [];
  /** Index by id, built only for long lists (most tasks have a few dependencies: a scan is cheaper than a Map each). */
  private at?: Map<string, number>;
  add(ref: DependencyRef): void {
    const k = this.indexOf(ref.id);
    if (k < 0) {
      this.at?.set(ref.id, this.refs.length);
      this.refs.push(ref);
      if (!this.at && this.refs.length > 16) this.at = new Map(this.refs.map((r, i) => [r.id, i]));
    } else if (this.refs[k].type === 'soft' && ref.type === 'blocks') {
      this.refs[k] = ref;
    }
  }
  private indexOf(id: string): number {
    if (this.at) return this.at.get(id) ?? -1;
    for (let i = 0; i < this.refs.length; i++) if (this.refs[i].id === id) return i;
    return -1;
  }
}

// ---- Spec Kit implicit rules ----------------------------------------------------------------------------------

function applySpecKitRules(
  epics: readonly EpicDraft[],
  ids: readonly AssignedId[],
  rules: readonly Extract<Ev, { k: 'phaseRule' }>[],
  deps: DependencyRef[][],
  diagnostics: Diagnostic[],
): void {
  const phases = epics.filter((e) => e.phase && e.tasks.length > 0);
  if (phases.length === 0) return;
  const idOf = (d: TaskDraft) => ids[d.i!].id;
  const addDep = (d: TaskDraft, on: TaskDraft, source: 'implicit' | 'phase', line: number) => {
    const i = d.i!;
    const id = idOf(on);
    if (id === ids[i].id) return;
    const list = deps[i];
    const k = list.findIndex((r) => r.id === id);
    if (k < 0) list.push({ id, source, type: 'blocks', line });
    else if (list[k].type === 'soft') list[k] = { id, source, type: 'blocks', line };
  };

  // Within a phase: a task without [P] waits for the previous task without [P] and every [P] task since; a task
  // with [P] (and the first task) waits for nothing in its phase: it is an entry of the phase.
  const entries = new Map<EpicDraft, TaskDraft[]>();
  const sinks = new Map<EpicDraft, TaskDraft[]>();
  for (const ph of phases) {
    const ent: TaskDraft[] = [];
    let lastSeq: TaskDraft | undefined;
    let sinceSeq: TaskDraft[] = [];
    for (const t of ph.tasks) {
      if (t.a.meta.parallel) {
        ent.push(t);
        sinceSeq.push(t);
        continue;
      }
      const before = lastSeq ? [lastSeq, ...sinceSeq] : sinceSeq;
      if (before.length === 0) ent.push(t);
      for (const b of before) addDep(t, b, 'implicit', t.line);
      lastSeq = t;
      sinceSeq = [];
    }
    entries.set(ph, ent);
    sinks.set(ph, lastSeq ? [lastSeq, ...sinceSeq] : sinceSeq);
  }

  // Between phases: each entry task waits for the last tasks of the phases its phase depends on — by default the
  // phase before it, unless a "Phase Dependencies" bullet or a `Depends on:` line in the phase says otherwise.
  const byNumber = new Map<number, EpicDraft>();
  for (const ph of phases) if (!byNumber.has(ph.info.phaseNo!)) byNumber.set(ph.info.phaseNo!, ph);
  const last = phases[phases.length - 1];
  const specificity = (sel: PhaseSelector, ph: EpicDraft): number => {
    const n = ph.info.phaseNo!;
    switch (sel.kind) {
      case 'exact':
        return sel.n === n ? 2 : 0;
      case 'final':
        return ph === last ? 2 : 0;
      case 'from':
        return n >= sel.n ? 1 : 0;
      case 'range':
        return n >= sel.a && n <= sel.b ? 1 : 0;
    }
  };
  phases.forEach((ph, k) => {
    let chosen: { line: number; text: string } | undefined = ph.selfRule;
    if (!chosen) {
      let best = 0;
      for (const r of rules) {
        const s = specificity(r.sel, ph);
        if (s > 0 && s >= best) {
          best = s;
          chosen = r;
        }
      }
    }
    let preds: EpicDraft[] = k > 0 ? [phases[k - 1]] : [];
    let line: number | undefined;
    if (chosen) {
      const resolved = resolvePhaseText(chosen.text, phases.slice(0, k), byNumber);
      if (resolved) {
        preds = resolved;
        line = chosen.line;
      } else {
        diagnostics.push({
          line: chosen.line,
          column: 0,
          severity: 'info',
          code: 'phase-dependency-unresolved',
          message: `Could not tell which earlier phases "${chosen.text.trim()}" refers to; ${ph.info.title} keeps depending on the phase before it`,
        });
      }
    }
    for (const pred of preds) for (const t of entries.get(ph)!) for (const s of sinks.get(pred)!) addDep(t, s, 'phase', line ?? t.line);
  });
}

/** Which earlier phases a sentence like "Depends on Setup completion - BLOCKS all user stories" names; [] = none. */
function resolvePhaseText(text: string, earlier: readonly EpicDraft[], byNumber: ReadonlyMap<number, EpicDraft>): EpicDraft[] | undefined {
  // Only the main clause counts: "… - BLOCKS all user stories" describes dependents, not dependencies.
  const clause = text.split(/[ \t]+[-–—][ \t]+|;|\.(?:[ \t]|$)/)[0];
  if (/\b(?:no dependenc|none\b|can start immediately|independent)/i.test(clause) && !/\bdepends?\b/i.test(clause)) return [];
  const found = new Set<EpicDraft>();
  const allowed = new Set(earlier);
  for (const m of clause.matchAll(/\bPhase[ \t]+(\d+)/gi)) {
    const ph = byNumber.get(Number(m[1]));
    if (ph && allowed.has(ph)) found.add(ph);
  }
  if (/\buser[ \t]+stor(?:y|ies)\b/i.test(clause) && !/\buser[ \t]+story[ \t]+\d/i.test(clause)) {
    for (const ph of earlier) if (/\buser[ \t]+stor/i.test(ph.info.title)) found.add(ph);
  }
  if (/\b(?:previous|prior)[ \t]+phase\b/i.test(clause) && earlier.length) found.add(earlier[earlier.length - 1]);
  for (const ph of earlier) {
    const key = phaseKey(ph);
    if (key && new RegExp(String.raw`\b${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\b`, 'i').test(clause)) found.add(ph);
  }
  return found.size > 0 ? earlier.filter((p) => found.has(p)) : undefined;
}

/** "Phase 2: Foundational (Blocking Prerequisites)" → "Foundational"; "Phase 3: User Story 1 - …" → "User Story 1". */
function phaseKey(ph: EpicDraft): string | undefined {
  const t = ph.info.title.replace(/^phase[ \t]+\d+[ \t]*[:.\-–—]?[ \t]*/i, '');
  const k = t.split(/[ \t]*(?:\(|[-–—:&][ \t]|,)/)[0].trim();
  return k.length >= 3 ? k : undefined;
}
