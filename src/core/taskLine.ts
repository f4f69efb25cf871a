// What one task line and its metadata lines say, read character by character with exact columns. Shared by the
// parser (which needs everything) and the writer (which needs to find the checkbox, the id and the status badge
// again in the line it edits). Pure string work: no markdown-it here; the parser decides WHICH lines are tasks.
//
// Columns are UTF-16 code units from the start of the raw line (the editor's convention), 0-based.
import { PRIORITIES, type DependencyType, type IdKind, type Priority, type Severity, type TaskStatus } from './model';

/** The character between the checkbox brackets: `[ ]`, `[x]`, `[X]`, and other tools' `[/]` (doing) and `[-]` (cancelled). */
export type CheckMark = ' ' | 'x' | 'X' | '/' | '-';
/** How an id is written: `**T1**`, `` `T1` ``, `[T1]` or bare `T1`. */
export type IdStyle = 'bold' | 'backtick' | 'bracket' | 'bare';

export interface IdSpan {
  value: string;
  kind: IdKind;
  /** The whole written id including its decoration. */
  start: number;
  end: number;
  /** Just the id characters. */
  valueStart: number;
  valueEnd: number;
  style: IdStyle;
}

/** A `` `status:failed` `` code span. */
export interface BadgeSpan {
  start: number;
  end: number;
  /** The status it names, or undefined when the word is not a known status. */
  status?: TaskStatus;
  word: string;
}

/** A dependency reference as written, before the parser resolves it against the ids in the file. */
export interface LineRef {
  id: string;
  line: number;
  column: number;
  source: 'explicit' | 'implicit';
  type: DependencyType;
  /** `list`: a Depends-on list or group (unknown ids are errors); `keyword`: "after T1" in prose; `mention`: a bare id in prose (soft). */
  kind: 'list' | 'keyword' | 'mention';
}

/** A problem found in a line, with its own 0-based line and column range. */
export interface LineProblem {
  line: number;
  column: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

/** How a task's attempts run: in a git worktree of their own, or in the shared tree (docs/isolation.md). */
export type TaskIsolationMode = 'none' | 'worktree';

/** Metadata gathered from a task line, its sub-bullets and its continuation lines. */
export interface TaskMeta {
  priority?: Priority;
  estimateHours?: number;
  agent?: string;
  verify?: string;
  timeoutMinutes?: number;
  /** `Gate: review`: a person approves the task's result before anything that depends on it starts. */
  gate?: 'review';
  /** `Isolation: none` (runs in the shared tree) or `worktree`; see TaskNode.isolation. */
  isolation?: TaskIsolationMode;
  /** Paths from `Files:` lines, as written (src/core/fileClaims.ts reads them); absent when none. */
  files?: string[];
  blockers: string[];
  refs: LineRef[];
  problems: LineProblem[];
  parallel: boolean;
  /** CCPM `(parallel: false)`: the task must not overlap the tasks before it in its section. */
  serial?: boolean;
  tags: string[];
}

/** Where the writer finds things in a task line. */
export interface TaskLineShape {
  /** Column of `[`. */
  checkboxColumn: number;
  mark: CheckMark;
  /** Column just after `]` (and after Kiro's optional-task star, `[ ]*`). */
  contentStart: number;
  id?: IdSpan;
  /**
   * A number at the start of the title that is an id only if the file numbers its tasks that way: `1.`, `2.1`,
   * `2.3.1` (Kiro) or a bare tracker key `SC-001` followed by a space. The parser decides per file (see parser.ts);
   * `id` is set only for forms that are ids wherever they appear.
   */
  weakId?: IdSpan;
  /** Kiro's optional task: `- [ ]* 2.2 …` (or the number starred, `2.2*`). */
  optional: boolean;
  badges: BadgeSpan[];
}

/** Everything one task line says. */
export interface TaskLineAnalysis extends TaskLineShape {
  status: TaskStatus;
  /** The title, without the id, and without the weak id when there is one (use `titleWithWeakId` if it is no id). */
  title: string;
  /** The title when the weak id is read as part of the text (`1.5 hours of soak`); undefined without a weak id. */
  titleWithWeakId?: string;
  meta: TaskMeta;
}

// ---- vocabulary ------------------------------------------------------------------------------------------------

/** `T001.009`, `T012`, and Spec Kit's inserted tasks with a letter suffix (`T031a`, `T042A`). */
const TASK_ID = String.raw`T\d+(?:\.\d+)*[a-zA-Z]?`;
/** Issue-tracker keys like `API-12`; accepted where the writing makes clear it is an id (decorated, or `KEY-1:`). */
const KEY_ID = String.raw`[A-Z][A-Z0-9]{1,9}-\d+(?:\.\d+)*`;
const GROUP_ID = String.raw`[EF]\d+(?:\.\d+)*`;
const HASH_ID = String.raw`#\d+`;
const OUTLINE_ID = String.raw`\d+(?:\.\d+)*`;
const PLAN_ID = String.raw`\d+-\d+`;
/** Ids accepted in dependency lists: tasks, tracker keys, features/epics (expanded to their tasks), `Phase N`. */
const REF_ID_RE = new RegExp(String.raw`(?<![\w.-])(${TASK_ID}|${KEY_ID}|${GROUP_ID}|Phase\s+\d+)(?![\w-]|\.\d)`, 'g');
const TEXT_ID_RE = new RegExp(String.raw`(?<![\w.-])(${TASK_ID})(?![\w-]|\.\d)`, 'g');
const ID_ONLY_RE = new RegExp(String.raw`^(?:${TASK_ID}|${KEY_ID}|${HASH_ID}|${OUTLINE_ID}|${PLAN_ID})$`);

/** True when `s` has the shape of a task id (`T001.009`, `T12`, `API-7`, `#12`, `2.1`, `01-02`). */
export function isTaskIdShape(s: string): boolean {
  return ID_ONLY_RE.test(s);
}

const PRIORITY_WORDS: Record<string, Priority> = {
  critical: 'P0',
  blocker: 'P0',
  urgent: 'P0',
  highest: 'P0',
  high: 'P1',
  medium: 'P2',
  normal: 'P2',
  moderate: 'P2',
  low: 'P3',
  lowest: 'P3',
  minor: 'P3',
  trivial: 'P3',
};

const STATUS_WORDS: Record<string, TaskStatus> = {
  pending: 'pending',
  todo: 'pending',
  open: 'pending',
  not_started: 'pending',
  in_progress: 'in_progress',
  inprogress: 'in_progress',
  running: 'in_progress',
  doing: 'in_progress',
  wip: 'in_progress',
  started: 'in_progress',
  active: 'in_progress',
  completed: 'completed',
  complete: 'completed',
  done: 'completed',
  finished: 'completed',
  blocked: 'blocked',
  failed: 'failed',
  fail: 'failed',
  failure: 'failed',
  error: 'failed',
  timeout: 'timeout',
  timed_out: 'timeout',
  timedout: 'timeout',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  skipped: 'skipped',
  skip: 'skipped',
};

/** Hours per unit for estimates; a day is a working day (8h), a week five of them (40h). */
const UNIT_HOURS: Record<string, number> = {
  m: 1 / 60,
  min: 1 / 60,
  mins: 1 / 60,
  minute: 1 / 60,
  minutes: 1 / 60,
  h: 1,
  hr: 1,
  hrs: 1,
  hour: 1,
  hours: 1,
  d: 8,
  day: 8,
  days: 8,
  w: 40,
  wk: 40,
  wks: 40,
  week: 40,
  weeks: 40,
};
const UNIT = String.raw`(?:minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w)`;

/** Words that make a trailing "24h" part of the sentence ("cache for 24h"), not an estimate. */
const DURATION_PREPOSITIONS = new Set(
  'for every within in after of than to under over per each last next by about around at until before from with least'.split(' '),
);

const SEP_CHARS = ' \t,;|·—–-';
const isSep = (c: string | undefined) => c !== undefined && SEP_CHARS.includes(c);
const isWs = (c: string | undefined) => c === ' ' || c === '\t';

// Regular expressions used per line or per metadata part live here, not as literals in the functions: a literal is
// a new RegExp object on every evaluation, and a 10,000-task plan evaluates these tens of thousands of times.
const P_CODE_RE = /^P([0-3])$/i;
const TILDE_RE = /^~\s*/;
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i;
const HOURS_MINUTES_RE = /^(\d+(?:\.\d+)?)\s*h(?:rs?|ours?)?\s*(\d+)\s*m(?:ins?|inutes?)?$/i;
const NUMBER_RE = /^\d+(?:\.\d+)?$/;
/** Global, but only used with String.prototype.replace, which resets lastIndex. */
const DECORATION_RE = /^[\s*_`]+|[\s*_`]+$/g;
const TAG_PRIORITY_RE = /^P(\d)$/;
const GROUP_PART_RE = /[^,;|·]+/g;
const GROUP_PRIORITY_RE = /^(?:\*\*|__)?P(\d)(?:\*\*|__)?$/;
const GROUP_PRIORITY_KEY_RE = /^(?:priority|prio)[ \t]*[:=]?[ \t]*(.+)$/i;
const GROUP_ESTIMATE_KEY_RE = /^(?:estimate|est|effort)[ \t]*[:=]?[ \t]*(.+)$/i;
const STARTS_NUMBER_RE = /^~?[ \t]*\d/;
const BLOCKED_WORD_RE = /^blocked/i;
const GROUP_AGENT_RE = /^agent[ \t]*[:=][ \t]*(\S+)$/i;
const GROUP_TIMEOUT_RE = /^timeout[ \t]*[:=][ \t]*(.+)$/i;
/** CCPM's `(parallel: true)` / `(parallel: false)`. */
const GROUP_PARALLEL_RE = /^parallel(?:[ \t]*[:=][ \t]*(true|false|yes|no))?$/i;
const WHITESPACE_RE = /\s/;
const WHITESPACE_RUNS_RE = /\s+/g;
const QUOTED_RE = /"([^"]*)"|“([^”]*)”/g;
const BLOCKER_PART_RE = /[^,;]+/g;
const LEADING_DECORATION_RE = /^(?:\*\*|__)?/;
const META_SEPARATOR_RE = /^(?:\*\*|__)?[ \t]*(:)?[ \t]*(?:\*\*|__)?[ \t]*/;
const DOUBLE_SPACE_RE = /\s\s|\t/;

/** `Review: …`, `Checkpoint: …` (also `**Review:**`, `**Checkpoint**:`): a task a person approves (docs/costs-and-gates.md#gates). */
const CHECKPOINT_TITLE_RE = /^(?:\*\*|__)?(?:review|checkpoint)(?:[ \t]*:(?:\*\*|__)?|(?:\*\*|__)[ \t]*:)/i;

/** True when a task's title makes it a checkpoint: no agent runs it, a person approves it (TaskNode.gate). */
export function isCheckpointTitle(title: string): boolean {
  return CHECKPOINT_TITLE_RE.test(title);
}

/** Parses a priority written as `P0`..`P3` or a word (critical/high/medium/low…). */
export function parsePriority(value: string): Priority | undefined {
  const v = stripDecoration(value).trim();
  const m = P_CODE_RE.exec(v);
  if (m) return `P${m[1]}` as Priority;
  return PRIORITY_WORDS[v.toLowerCase()];
}

/** Parses `16h`, `~16h`, `2d`, `1.5 days`, `30m`, `1w`, `1h30m` into hours; undefined when it is not a duration. */
export function parseDurationHours(value: string): number | undefined {
  let v = stripDecoration(value).trim();
  if (v.charCodeAt(0) === 126 /* ~ */) v = v.replace(TILDE_RE, '');
  let m = DURATION_RE.exec(v);
  if (m) {
    const perUnit = UNIT_HOURS[m[2].toLowerCase()];
    return perUnit === undefined ? undefined : round(Number(m[1]) * perUnit);
  }
  m = HOURS_MINUTES_RE.exec(v);
  if (m) return round(Number(m[1]) + Number(m[2]) / 60);
  return undefined;
}

/** Parses a timeout: a duration, or a bare number of minutes. */
export function parseTimeoutMinutes(value: string): number | undefined {
  const v = stripDecoration(value).trim();
  if (NUMBER_RE.test(v)) return Number(v) > 0 ? Number(v) : undefined;
  const h = parseDurationHours(v);
  return h !== undefined && h > 0 ? round(h * 60) : undefined;
}

/** Parses a status badge word (`failed`, `in-progress`, `done`, `timed out`…). */
export function parseStatusWord(word: string): TaskStatus | undefined {
  return STATUS_WORDS[
    word
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_')
  ];
}

/** The badge the writer puts on a line for a status. */
export function formatStatusBadge(status: TaskStatus): string {
  return `\`status:${status}\``;
}

/** How an id is written in a given style. */
export function formatId(id: string, style: IdStyle): string {
  switch (style) {
    case 'bold':
      return `**${id}**`;
    case 'backtick':
      return `\`${id}\``;
    case 'bracket':
      return `[${id}]`;
    default:
      return id;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A decoration character (DECORATION_RE's class) at either end: most values have none, and a replace costs a runtime call. */
const DECORATED_EDGE_RE = /^[\s*_`]|[\s*_`]$/;

function stripDecoration(s: string): string {
  return DECORATED_EDGE_RE.test(s) ? s.replace(DECORATION_RE, '') : s;
}

/**
 * A metadata group is read into a probe first and merged only when all of it is metadata. The probe is one shared
 * object, emptied before each use: groups are never read inside one another, and mergeMeta copies what it holds.
 */
const SCRATCH: TaskMeta = emptyMeta();
function scratchMeta(): TaskMeta {
  const m = SCRATCH;
  m.priority = m.estimateHours = m.timeoutMinutes = undefined;
  m.agent = m.verify = m.gate = m.isolation = undefined;
  m.files = undefined;
  m.blockers.length = m.refs.length = m.problems.length = m.tags.length = 0;
  m.parallel = false;
  m.serial = undefined;
  return m;
}

export function emptyMeta(): TaskMeta {
  return { blockers: [], refs: [], problems: [], parallel: false, tags: [] };
}

/** One empty list shared by every finished meta that has none; frozen, so a late push fails loudly instead of leaking. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/**
 * Shrinks a meta nothing will add to any more (its task's list item has ended): an array grown by push keeps room for
 * 17 items, and a 50 MB plan holds 700,000 metas at once. Empty lists become one shared frozen list; others exact copies.
 */
export function compactMeta(m: TaskMeta): void {
  m.blockers = m.blockers.length === 0 ? NONE : m.blockers.slice();
  m.refs = m.refs.length === 0 ? NONE : m.refs.slice();
  m.problems = m.problems.length === 0 ? NONE : m.problems.slice();
  m.tags = m.tags.length === 0 ? NONE : m.tags.slice();
}

// ---- locating a task line --------------------------------------------------------------------------------------

/** A list marker followed by a checkbox; the first match is the innermost item on lines like `- - [ ] x`. */
/** A list marker followed by a checkbox (Kiro marks an optional task with a star right after it: `[ ]*`). */
const CHECKBOX_RE = /(?:^|[ \t])(?:[-*+]|\d{1,9}[.)])[ \t]+\[([ xX/-])\](\*)?(?=[ \t]|$)/;
const BADGE_RE = /`[ \t]*status[ \t]*:[ \t]*([^`]{0,40}?)[ \t]*`/gi;

const ID_AT: { re: RegExp; style: IdStyle }[] = [
  {
    re: new RegExp(
      String.raw`\*\*(${TASK_ID}|${KEY_ID}|${HASH_ID}|${PLAN_ID}|${OUTLINE_ID})\*\*|__(${TASK_ID}|${KEY_ID}|${HASH_ID}|${PLAN_ID}|${OUTLINE_ID})__`,
      'y',
    ),
    style: 'bold',
  },
  { re: new RegExp(String.raw`\`(${TASK_ID}|${KEY_ID}|${HASH_ID}|${PLAN_ID}|${OUTLINE_ID})\``, 'y'), style: 'backtick' },
  { re: new RegExp(String.raw`\[(${TASK_ID}|${KEY_ID})\](?![(\[:])`, 'y'), style: 'bracket' },
  {
    // Bare: a task id before a space or separator; a tracker key or a plan number before a colon; `#12` before a space,
    // colon or dash; a CCPM task file `001.md`.
    re: new RegExp(String.raw`(${TASK_ID})(?=[\s:,;)]|\.(?:\s|$)|$)|(${KEY_ID}|${PLAN_ID})(?=:)|(${HASH_ID})(?=[\s:]|$)|(\d+)\.md(?=\s|$)`, 'y'),
    style: 'bare',
  },
];

/** Ids that are ids only when the file numbers its tasks so (see TaskLineShape.weakId). */
const WEAK_ID_RE = new RegExp(String.raw`(?:(\d+(?:\.\d+)+)\.?|(\d+)\.)(\*)?(?=[ \t])|(${KEY_ID})(?=[ \t]+\S)`, 'y');

/** The scheme of an id value. */
export function idKind(value: string): IdKind {
  const c = value.charCodeAt(0);
  if (c === 35 /* # */) return 'hash';
  if (c >= 48 && c <= 57) return value.includes('-') ? 'plan' : 'outline';
  if (value[0] === 'T' && /^T\d/.test(value)) return 'task';
  return 'key';
}

/** Finds the checkbox, the id and the status badges of a task line; undefined when the line has no list checkbox. */
export function locateTaskLine(line: string): TaskLineShape | undefined {
  const m = CHECKBOX_RE.exec(line);
  if (!m) return undefined;
  const contentStart = m.index + m[0].length;
  const checkboxColumn = contentStart - 3 - (m[2] ? 1 : 0);
  const shape: TaskLineShape = { checkboxColumn, mark: m[1] as CheckMark, contentStart, optional: m[2] !== undefined, badges: findBadges(line, contentStart) };
  const lead = scanLeading(line, contentStart, shape.badges, undefined);
  shape.id = lead.id;
  if (lead.weakId) {
    shape.weakId = lead.weakId;
    if (lead.weakStar) shape.optional = true;
  }
  return shape;
}

/** Shared by every line without a badge (most of them); never mutated. */
const NO_BADGES: BadgeSpan[] = [];

function findBadges(line: string, from: number): BadgeSpan[] {
  if (line.indexOf('`', from) < 0) return NO_BADGES;
  const out: BadgeSpan[] = [];
  BADGE_RE.lastIndex = from;
  for (let b = BADGE_RE.exec(line); b !== null; b = BADGE_RE.exec(line)) {
    out.push({ start: b.index, end: b.index + b[0].length, status: parseStatusWord(b[1]), word: b[1] });
  }
  return out;
}

function inBadge(badges: readonly BadgeSpan[], pos: number): BadgeSpan | undefined {
  // Indexed: called a few times per task line, almost always with no badge, where for…of would build an iterator.
  for (let i = 0; i < badges.length; i++) if (pos >= badges[i].start && pos < badges[i].end) return badges[i];
  return undefined;
}

const TAG_RE = /\[([^[\]\s]{1,32})\](?![([:])/y;
/** `P0`, `**P0**`, `` `P0` `` before the title. */
const LEAD_PRIORITY_RE = /(?:\*\*|__|`)?P([0-3])(?:\*\*|__|`)?(?=[\s:,;]|$)/y;

interface Leading {
  id?: IdSpan;
  weakId?: IdSpan;
  /** The weak id carried Kiro's star (`2.2*`). */
  weakStar?: boolean;
  /** Column where the title text begins (after the weak id, when there is one). */
  titleStart: number;
}

/**
 * Reads the metadata that may precede the title: the id (bold, backticks, brackets or bare), Spec Kit tags (`[P]`,
 * `[US1]`), `[P0]`, a metadata group `(P0, 16h)` and a bare `P0`, in any order. With `meta` undefined it only finds
 * the id (the writer's use); otherwise it records what it reads.
 */
function scanLeading(line: string, from: number, badges: readonly BadgeSpan[], meta: TaskMeta | undefined, lineNo = 0): Leading {
  let p = skipWs(line, from);
  let id: IdSpan | undefined = idAt(line, p);
  let weakId: IdSpan | undefined;
  let weakStar: boolean | undefined;
  if (id) p = skipIdSeparator(line, id.end);
  else {
    // A weak id only at the very start of the title: "Deploy 2.0" or "(P1) 1.5 hours" keep their numbers.
    WEAK_ID_RE.lastIndex = p;
    const w = WEAK_ID_RE.exec(line);
    if (w) {
      const value = w[1] ?? w[2] ?? w[4];
      weakId = { value, kind: idKind(value), start: p, end: p + w[0].length, valueStart: p, valueEnd: p + value.length, style: 'bare' };
      weakStar = w[3] !== undefined;
      p = skipIdSeparator(line, weakId.end);
    }
  }
  for (;;) {
    const badge = inBadge(badges, p);
    if (badge) {
      p = skipWs(line, badge.end);
      continue;
    }
    if (!id) {
      const found = idAt(line, p);
      if (found) {
        id = found;
        p = skipIdSeparator(line, found.end);
        continue;
      }
    }
    TAG_RE.lastIndex = p;
    const t = line[p] === '[' ? TAG_RE.exec(line) : null;
    if (t) {
      if (meta) readTag(t[1], p, lineNo, meta);
      p = skipWs(line, p + t[0].length);
      continue;
    }
    if (line[p] === '(') {
      const close = line.indexOf(')', p);
      const open2 = line.indexOf('(', p + 1);
      if (close > p && (open2 < 0 || open2 > close)) {
        const probe = scratchMeta();
        if (classifyGroup(line.slice(p + 1, close), p + 1, lineNo, probe)) {
          if (meta) mergeMeta(meta, probe);
          p = skipWs(line, close + 1);
          continue;
        }
      }
    }
    LEAD_PRIORITY_RE.lastIndex = p;
    const b = LEAD_PRIORITY_RE.exec(line);
    if (b) {
      if (meta) setPriority(meta, `P${b[1]}` as Priority, lineNo, p, p + b[0].length);
      p = skipWs(line, p + b[0].length);
      if (line[p] === ':') p = skipWs(line, p + 1);
      continue;
    }
    return { id, weakId, weakStar, titleStart: p };
  }
}

function idAt(line: string, p: number): IdSpan | undefined {
  for (const { re, style } of ID_AT) {
    re.lastIndex = p;
    const m = re.exec(line);
    if (!m) continue;
    const value = m[1] ?? m[2] ?? m[3] ?? m[4];
    const valueStart = line.indexOf(value, p);
    return { value, kind: idKind(value), start: p, end: p + m[0].length, valueStart, valueEnd: valueStart + value.length, style };
  }
  return undefined;
}

function skipWs(line: string, p: number): number {
  while (isWs(line[p])) p++;
  return p;
}

/** Skips `T1: `, `T1 - `, `T1 — `, `T1. ` separators after an id. */
function skipIdSeparator(line: string, p: number): number {
  const q = skipWs(line, p);
  const c = line[q];
  if ((c === ':' || c === '.') && (q + 1 >= line.length || isWs(line[q + 1]))) return skipWs(line, q + 1);
  if ((c === '-' || c === '–' || c === '—') && isWs(line[q + 1]) && q > p) return skipWs(line, q + 1);
  return q;
}

function readTag(tag: string, col: number, lineNo: number, meta: TaskMeta): void {
  if (tag === 'P') {
    meta.parallel = true;
    return;
  }
  const pr = TAG_PRIORITY_RE.exec(tag);
  if (pr) {
    if (Number(pr[1]) <= 3) setPriority(meta, `P${pr[1]}` as Priority, lineNo, col, col + tag.length + 2);
    else badPriority(meta, tag, lineNo, col, col + tag.length + 2);
    return;
  }
  meta.tags.push(tag);
}

// ---- the whole task line ---------------------------------------------------------------------------------------

/**
 * Reads a task line: checkbox, id, status (checkbox refined by a status badge), title and inline metadata.
 * `lineNo` is only copied into refs and problems. Returns undefined when the line has no list checkbox.
 */
export function analyzeTaskLine(line: string, lineNo = 0): TaskLineAnalysis | undefined {
  return commonTaskLine(line) ?? readTaskLine(line, lineNo);
}

/**
 * The most common task line of a CODITECT plan, `- [ ] **T001.009** Deploy the message bus (P0, 16h)`: a bullet, an
 * unticked or ticked box, a bold T-id, a title of plain words (ASCII letters and digits, one space apart) and
 * optionally a `(Pn, Nh)` group. One pattern reads it. The few titles whose first or last words
 * readTaskLine would take as metadata (`P1 …`, `… P2`, `… 16h`, `… 2 days`) are left to it, as is any other line.
 * test/unit/core/taskLine.property.test.ts checks that whenever this answers, readTaskLine answers the same.
 */
const COMMON_TASK_LINE_RE = /^ *[-*+] \[([ xX])\] \*\*(T\d+(?:\.\d+)*)\*\* ([A-Za-z0-9]+(?: [A-Za-z0-9]+)*?)(?: \(P([0-3]), ([1-9]\d{0,3})h\))?$/;
/** A first word readTaskLine reads as a priority; a last word it reads as one, or as an estimate (with the word before). */
const LEAD_WORD_META_RE = /^P[0-3](?: |$)/;
const TRAIL_WORD_META_RE = /(?:^| )(?:P[0-3]|[A-Za-z0-9]*\d[A-Za-z0-9]*[A-Za-z]|\d+ [A-Za-z]+)$/;

export function commonTaskLine(line: string): TaskLineAnalysis | undefined {
  const m = COMMON_TASK_LINE_RE.exec(line);
  if (m === null) return undefined;
  const title0 = m[3];
  if (LEAD_WORD_META_RE.test(title0) || TRAIL_WORD_META_RE.test(title0) || HAS_T_DIGIT_RE.test(title0) || STRONG_DEP_RE.test(title0)) return undefined;
  const mark = m[1] as CheckMark;
  const contentStart = line.indexOf(']') + 1;
  const idStart = contentStart + 1;
  const value = m[2];
  const id: IdSpan = {
    value,
    kind: 'task',
    start: idStart,
    end: idStart + value.length + 4,
    valueStart: idStart + 2,
    valueEnd: idStart + 2 + value.length,
    style: 'bold',
  };
  const meta = emptyMeta();
  if (m[4] !== undefined) {
    meta.priority = PRIORITIES[m[4].charCodeAt(0) - 48];
    meta.estimateHours = Number(m[5]);
  }
  // A title of plain words is already what readTaskLine's cleanTitle makes of it, and names no id for findTextRefs.
  const title = title0;
  const written = blockedInTitle(title);
  if (written !== undefined) meta.blockers.push(written);
  const { status } = statusOf(mark, NO_BADGES);
  return { checkboxColumn: contentStart - 3, mark, contentStart, id, optional: false, badges: NO_BADGES, status, title, meta };
}

/** Reads any task line (analyzeTaskLine without its fast path for the common shape; exported for the test that compares them). */
export function readTaskLine(line: string, lineNo = 0): TaskLineAnalysis | undefined {
  const m = CHECKBOX_RE.exec(line);
  if (!m) return undefined;
  const contentStart = m.index + m[0].length;
  const mark = m[1] as CheckMark;
  const badges = findBadges(line, contentStart);
  const meta = emptyMeta();
  const lead = scanLeading(line, contentStart, badges, meta, lineNo);

  // `work` is the line with what is already understood blanked out by spaces, so columns never shift. Trailing
  // metadata needs no blanking (the title simply ends before it); badges and mid-title groups do, and are rare.
  let work = badges.length === 0 ? line : blankAll(line, badges, lead.titleStart);
  for (const b of badges) {
    if (!b.status) {
      meta.problems.push(
        problem(
          lineNo,
          b.start,
          b.end,
          'warning',
          'unknown-status',
          `Unknown status "${b.word}" in the status badge; expected one of pending, in_progress, completed, blocked, failed, timeout, cancelled, skipped`,
        ),
      );
    }
  }

  const p = lead.titleStart;
  let e = stripTrailingMeta(work, p, trimEnd(work, p, work.length), lineNo, meta);

  // Dependency groups anywhere in the title, e.g. Spec Kit's "… in src/x.ts (depends on T012)".
  if (work.indexOf('(', p) >= 0 && work.indexOf('(', p) < e) {
    const region = work.slice(0, e);
    DEP_GROUP_RE.lastIndex = p;
    for (let g = DEP_GROUP_RE.exec(region); g !== null; g = DEP_GROUP_RE.exec(region)) {
      const probe = scratchMeta();
      if (classifyGroup(g[1], g.index + 1, lineNo, probe)) {
        mergeMeta(meta, probe);
        work = blankOut(work, g.index, g.index + g[0].length);
      }
    }
    e = trimEnd(work, p, e);
  }

  findTextRefs(work, p, e, lineNo, lead.id?.value, meta);

  const title = cleanTitle(work.slice(p, e));
  const written = blockedInTitle(title);
  if (written !== undefined) meta.blockers.push(written);
  let { status, conflict } = statusOf(mark, badges);
  if (conflict) meta.problems.push(problem(lineNo, m.index, line.length, 'info', 'status-conflict', conflict));
  if (status === 'in_progress' && !badges.some((b) => b.status === 'in_progress')) {
    // `[/]` is typed by a person (the engine marks its running tasks with a badge): someone is on it by hand. It is
    // never rewritten and never dispatched: it waits, held, until the box is ticked or cleared.
    status = 'pending';
    meta.blockers.push(IN_PROGRESS_BY_HAND);
  }
  const optional = m[2] !== undefined || lead.weakStar === true;
  const a: TaskLineAnalysis = { checkboxColumn: contentStart - 3 - (m[2] ? 1 : 0), mark, contentStart, id: lead.id, optional, badges, status, title, meta };
  if (lead.weakId) {
    a.weakId = lead.weakId;
    const written = line.slice(lead.weakId.start, lead.weakId.end).trim();
    a.titleWithWeakId = title ? `${written} ${title}` : written;
  }
  return a;
}

const DEP_GROUP_RE = /\(([ \t]*(?:depends?[ \t]+on|dependencies|deps|requires|blocked[ \t]+by|after|waits?[ \t]+for)\b[^()]*)\)/gi;

/** Blanks every span starting at or after `from` in one pass (a line may hold thousands of badges). */
function blankAll(s: string, spans: readonly { start: number; end: number }[], from: number): string {
  const parts: string[] = [];
  let at = 0;
  for (const sp of spans) {
    if (sp.start < from || sp.start < at) continue;
    parts.push(s.slice(at, sp.start), ' '.repeat(sp.end - sp.start));
    at = sp.end;
  }
  parts.push(s.slice(at));
  return parts.join('');
}

function blankOut(s: string, from: number, to: number): string {
  return s.slice(0, from) + ' '.repeat(to - from) + s.slice(to);
}

function cleanTitle(s: string): string {
  let t = DOUBLE_SPACE_RE.test(s) ? s.replace(WHITESPACE_RUNS_RE, ' ') : s;
  // Separators left between the title and removed metadata ("Deploy bus — P0").
  let a = 0;
  let b = t.length;
  while (a < b && (isSep(t[a]) || t[a] === ':')) a++;
  while (b > a && isSep(t[b - 1])) b--;
  if (a > 0 || b < t.length) t = t.slice(a, b);
  return t;
}

function trimEnd(s: string, p: number, e: number): number {
  while (e > p && isWs(s[e - 1])) e--;
  return e;
}

/** Lookbehind: a trailing token must follow a space or separator (or start the title). */
const B = String.raw`(?<=^|[\s,;|·—–(-])`;
const TRAIL_BRACKET_PRIORITY_RE = new RegExp(String.raw`${B}\[P(\d)\]$`);
const TRAIL_PRIORITY_KEY_RE = new RegExp(String.raw`${B}(?:\*\*|__)?(?:priority|prio)(?:\*\*|__)?[ \t]*[:=](?:\*\*|__)?[ \t]*([\w-]+)(?:\*\*|__)?$`, 'i');
const TRAIL_ESTIMATE_KEY_RE = new RegExp(String.raw`${B}(?:\*\*|__)?(?:estimate|est|effort)(?:\*\*|__)?[ \t]*[:=](?:\*\*|__)?[ \t]*([^,;|()]+?)$`, 'i');
const TRAIL_PRIORITY_RE = new RegExp(String.raw`${B}(?:\*\*|__|\x60)?(P[0-3])(?:\*\*|__|\x60)?$`);
const TRAIL_DURATION_RE = new RegExp(String.raw`${B}(~[ \t]*)?(\d+(?:\.\d+)?[ \t]*${UNIT})$`, 'i');
const LAST_WORD_RE = /(\S+)\s*$/;
/** Trailing tokens are short; matching on a bounded tail keeps end-anchored regexes O(1) per line. */
const TAIL = 160;

/**
 * Metadata written at the end of the title, stripped right to left: `(P0, 16h)`, `[P1]`, `Priority: P0`,
 * `est: 2d`, `P0`, `~16h`. Returns the new end of the title.
 */
function stripTrailingMeta(work: string, p: number, e: number, lineNo: number, meta: TaskMeta): number {
  for (;;) {
    if (e <= p) return e;
    const last = work[e - 1];
    let start = -1;
    if (last === ')') {
      const open = work.lastIndexOf('(', e - 1);
      if (open >= p) {
        const probe = scratchMeta();
        if (classifyGroup(work.slice(open + 1, e - 1), open + 1, lineNo, probe)) {
          mergeMeta(meta, probe);
          start = open;
        }
      }
    } else {
      const from = Math.max(p, e - TAIL);
      const tail = work.slice(from, e);
      let m: RegExpExecArray | null;
      if (last === ']' && (m = TRAIL_BRACKET_PRIORITY_RE.exec(tail))) {
        start = from + m.index;
        if (Number(m[1]) <= 3) setPriority(meta, `P${m[1]}` as Priority, lineNo, start, e);
        else badPriority(meta, `P${m[1]}`, lineNo, start, e);
      } else if (tail.includes(':') || tail.includes('=')) {
        if ((m = TRAIL_PRIORITY_KEY_RE.exec(tail))) {
          start = from + m.index;
          const pr = parsePriority(m[1]);
          if (pr) setPriority(meta, pr, lineNo, start, e);
          else badPriority(meta, m[1], lineNo, start, e);
        } else if ((m = TRAIL_ESTIMATE_KEY_RE.exec(tail))) {
          start = from + m.index;
          setEstimate(meta, m[1], lineNo, start, e);
        }
      }
      if (start < 0 && (m = TRAIL_PRIORITY_RE.exec(tail))) {
        start = from + m.index;
        setPriority(meta, m[1] as Priority, lineNo, start, e);
      }
      if (start < 0 && /[a-z]/i.test(last) && (m = TRAIL_DURATION_RE.exec(tail))) {
        const s = from + m.index;
        // "Cache results for 24h" is prose; "Deploy the bus 16h" and "… ~24h" are estimates.
        const before = m[1] ? undefined : LAST_WORD_RE.exec(work.slice(Math.max(p, s - 40), s));
        const h = parseDurationHours(m[2]);
        if (h !== undefined && !(before && DURATION_PREPOSITIONS.has(before[1].toLowerCase()))) {
          meta.estimateHours = h;
          start = s;
        }
      }
    }
    if (start < 0) return e;
    e = start;
    while (e > p && isSep(work[e - 1])) e--;
  }
}

/**
 * Words that make the task ids after them (in the same sentence) what the task waits for, and words after which an
 * id is something else (`before T5`, `unblocks T5`: T5 waits for this task, not the other way round; `see T5`,
 * `like T5`: a reference).
 */
const DEP_WORD_RE =
  /\b(?:(before|blocks|unblocks|enables|then|(?:required|needed)[ \t]+by|see|cf|like|similar[ \t]+to|related[ \t]+to|as[ \t]+in)|(after|once|requires?|required|depends?[ \t]+on|dependent[ \t]+on|depending[ \t]+on|blocked[ \t]+by|waits?[ \t]+(?:for|on)|waiting[ \t]+(?:for|on)|needs?|following))(?![\w-])/gi;
/** The phrases that say "this task waits for something": one naming nothing resolvable is worth an info. */
const STRONG_DEP_RE = /\b(?:depends?[ \t]+on|dependent[ \t]+on|blocked[ \t]+by|waits?[ \t]+for)(?![\w-])/i;
/** A sentence ends at `.`, `!`, `?` or `;` followed by a space or the end (`T001.009` and `v2.1` do not end one). */
const SENTENCE_END_RE = /[.!?;](?=[ \t]|$)/g;
const HAS_T_DIGIT_RE = /T\d/;

/**
 * Task ids in prose (a title, a note): an id with a dependency word before it in the same sentence blocks ("Implement
 * the queue after deploying the bus (T001.009)", "once T3 and T4 are done"); any other id is a soft mention. A
 * sentence with a strong dependency phrase ("depends on the infra team") naming no id is an info diagnostic.
 */
function findTextRefs(work: string, p: number, e: number, lineNo: number, ownId: string | undefined, meta: TaskMeta): void {
  const text = work.slice(0, e);
  const hasId = HAS_T_DIGIT_RE.test(text.slice(p));
  if (!hasId && !STRONG_DEP_RE.test(text.slice(p))) return;
  // Sentence boundaries and dependency words, in order, from p.
  const ends: number[] = [];
  SENTENCE_END_RE.lastIndex = p;
  for (let m = SENTENCE_END_RE.exec(text); m !== null; m = SENTENCE_END_RE.exec(text)) ends.push(m.index + 1);
  const words: { at: number; end: number; blocks: boolean; strong: boolean }[] = [];
  DEP_WORD_RE.lastIndex = p;
  for (let m = DEP_WORD_RE.exec(text); m !== null; m = DEP_WORD_RE.exec(text)) {
    words.push({ at: m.index, end: m.index + m[0].length, blocks: m[2] !== undefined, strong: m[2] !== undefined && STRONG_DEP_RE.test(m[0]) });
  }
  const sentenceOf = (at: number): number => {
    let k = 0;
    while (k < ends.length && ends[k] <= at) k++;
    return k;
  };
  const named = new Set<number>();
  if (hasId) {
    TEXT_ID_RE.lastIndex = p;
    for (let i = TEXT_ID_RE.exec(text); i !== null; i = TEXT_ID_RE.exec(text)) {
      const at = i.index;
      const sentence = sentenceOf(at);
      named.add(sentence);
      if (i[1] === ownId) continue;
      // The last dependency word before the id in its sentence decides.
      let last: (typeof words)[number] | undefined;
      for (const w of words) if (w.end <= at && sentenceOf(w.at) === sentence) last = w;
      const blocks = last?.blocks === true;
      meta.refs.push({ id: i[1], line: lineNo, column: at, source: 'implicit', type: blocks ? 'blocks' : 'soft', kind: blocks ? 'keyword' : 'mention' });
    }
  }
  const said = new Set<number>();
  for (const w of words) {
    const sentence = sentenceOf(w.at);
    if (!w.strong || named.has(sentence) || said.has(sentence)) continue;
    said.add(sentence);
    const from = sentence === 0 ? p : ends[sentence - 1];
    const to = sentence < ends.length ? ends[sentence] : e;
    const phrase = text.slice(from, to).trim();
    meta.problems.push(
      problem(
        lineNo,
        w.at,
        to,
        'info',
        'dependency-not-understood',
        `not understood: "${phrase}" names no task id, so nothing waits; write the id it waits for (after T001.009) or a Blocked by: "…" line`,
      ),
    );
  }
}

/** Reads a note under a task (`- Description: … after deploying the bus (T001.009)`) for the dependencies its prose states. */
export function readNoteRefs(text: string, lineNo: number, col: number, meta: TaskMeta): void {
  const padded = col > 0 ? ' '.repeat(col) + text : text;
  findTextRefs(padded, col, padded.length, lineNo, undefined, meta);
}

/** `⏸️`, the word `BLOCKED` in capitals, or `Blocked:` in a title: the person says the task cannot go on. */
const BLOCKED_TEXT_RE = /\u23F8\uFE0F?|\bBLOCKED\b|\bBlocked[ \t]*:/;
const BLOCKED_LEAD_RE = /^(?:\u23F8\uFE0F?|BLOCKED\b|Blocked\b)?[ \t]*[:\-–—]?[ \t]*/;

/**
 * The external blocker a title states (`⏸️ BLOCKED: waiting on vendor keys` → "waiting on vendor keys"), or undefined.
 * The reason is what follows the marker; without one, the title itself.
 */
export function blockedInTitle(title: string): string | undefined {
  const m = BLOCKED_TEXT_RE.exec(title);
  if (!m) return undefined;
  let rest = title.slice(m.index);
  for (let prev = ''; prev !== rest;) {
    prev = rest;
    rest = rest.replace(BLOCKED_LEAD_RE, '');
  }
  rest = rest.replace(/[ \t)\].]+$/, '').trim();
  return rest || title;
}

/** The blocker of a task a person marked `[/]` (in progress by hand). */
export const IN_PROGRESS_BY_HAND = 'in progress by hand ([/])';

/** The checkbox says done or not; a badge refines it. When they disagree, the checkbox (what people click) wins. */
function statusOf(mark: CheckMark, badges: readonly BadgeSpan[]): { status: TaskStatus; conflict?: string } {
  const checked = mark === 'x' || mark === 'X';
  const fromBox: TaskStatus = checked ? 'completed' : mark === '/' ? 'in_progress' : mark === '-' ? 'cancelled' : 'pending';
  let badge: TaskStatus | undefined;
  for (const b of badges) if (b.status) badge = b.status;
  if (!badge) return { status: fromBox };
  const badgeChecked = badge === 'completed' || badge === 'skipped';
  if (badgeChecked === checked) return { status: badge === 'pending' && mark !== ' ' ? fromBox : badge };
  if (badge === 'pending') return { status: fromBox };
  return {
    status: fromBox,
    conflict: checked
      ? `The checkbox is ticked but the badge says ${badge}; the task is read as completed (remove the badge or untick the box)`
      : `The checkbox is not ticked but the badge says ${badge}; the task is read as ${fromBox} (tick the box or remove the badge)`,
  };
}

// ---- metadata groups and lines ---------------------------------------------------------------------------------

const DEP_KEYWORD = String.raw`depends?[ \t]+on|dependencies|dependency|deps|requires|prerequisites?|prereqs?|after|waits?[ \t]+for|blocked[ \t]+by`;
const DEP_PART_RE = new RegExp(String.raw`^(${DEP_KEYWORD})(?!\w)[ \t]*:?[ \t]*(.*)$`, 'i');
const ID_PART_RE = new RegExp(String.raw`^(?:and[ \t]+|&[ \t]*)?[\x60*_]*(?:${TASK_ID}|${KEY_ID}|${GROUP_ID})[\x60*_]*$`);
const IDS_ONLY_RE = new RegExp(String.raw`^(?:(?:and[ \t]+)?[\x60*_]*(?:${TASK_ID}|${KEY_ID}|${GROUP_ID})[\x60*_]*[ \t]*)+$`);

/**
 * Classifies `P0, 16h, depends on T1, T2` (the inside of a parenthesised group). Records into `meta` and returns
 * true only when every comma-separated part is metadata; "(HTTPS only, no private ranges)" is prose.
 */
function classifyGroup(inner: string, col: number, lineNo: number, meta: TaskMeta): boolean {
  const partRe = GROUP_PART_RE;
  partRe.lastIndex = 0;
  let any = false;
  let lastWasDeps: 'deps' | 'blocked' | undefined;
  for (let m = partRe.exec(inner); m !== null; m = partRe.exec(inner)) {
    const raw = m[0];
    const lead = raw.length - raw.trimStart().length;
    const part = raw.trim();
    if (!part) continue;
    const s = col + m.index + lead;
    const e = s + part.length;
    any = true;
    let x: RegExpExecArray | null;
    let hours: number | undefined;
    if ((x = GROUP_PRIORITY_RE.exec(part))) {
      if (Number(x[1]) <= 3) setPriority(meta, `P${x[1]}` as Priority, lineNo, s, e);
      else badPriority(meta, `P${x[1]}`, lineNo, s, e);
      lastWasDeps = undefined;
    } else if ((x = GROUP_PRIORITY_KEY_RE.exec(part))) {
      const pr = parsePriority(x[1]);
      if (pr) setPriority(meta, pr, lineNo, s, e);
      else badPriority(meta, x[1], lineNo, s, e);
      lastWasDeps = undefined;
    } else if ((x = GROUP_ESTIMATE_KEY_RE.exec(part))) {
      setEstimate(meta, x[1], lineNo, s, e);
      lastWasDeps = undefined;
    } else if (STARTS_NUMBER_RE.test(part) && (hours = parseDurationHours(part)) !== undefined) {
      meta.estimateHours = hours;
      lastWasDeps = undefined;
    } else if ((x = DEP_PART_RE.exec(part))) {
      const kind = BLOCKED_WORD_RE.test(x[1]) ? 'blocked' : 'deps';
      const valueCol = e - x[2].length;
      const found = kind === 'blocked' ? readBlockers(x[2], lineNo, valueCol, meta) : readIdList(x[2], lineNo, valueCol, meta);
      if (found === 0) return false;
      lastWasDeps = kind;
    } else if (lastWasDeps && ID_PART_RE.test(part)) {
      readIdList(part, lineNo, s, meta);
    } else if ((x = GROUP_AGENT_RE.exec(part))) {
      setAgent(meta, x[1], lineNo, s, e);
      lastWasDeps = undefined;
    } else if ((x = GROUP_TIMEOUT_RE.exec(part))) {
      setTimeoutValue(meta, x[1], lineNo, s, e);
      lastWasDeps = undefined;
    } else if ((x = GROUP_PARALLEL_RE.exec(part))) {
      if (x[1] === undefined || /^(?:true|yes)$/i.test(x[1])) meta.parallel = true;
      else meta.serial = true;
      lastWasDeps = undefined;
    } else {
      return false;
    }
  }
  return any;
}

/** Ids in a dependency list; returns how many were found. "none", "-", "n/a" are an empty list. */
function readIdList(value: string, lineNo: number, col: number, meta: TaskMeta): number {
  let n = 0;
  REF_ID_RE.lastIndex = 0;
  for (let m = REF_ID_RE.exec(value); m !== null; m = REF_ID_RE.exec(value)) {
    meta.refs.push({
      id: WHITESPACE_RE.test(m[1]) ? m[1].replace(WHITESPACE_RUNS_RE, ' ') : m[1],
      line: lineNo,
      column: col + m.index,
      source: 'explicit',
      type: 'blocks',
      kind: 'list',
    });
    n++;
  }
  return n;
}

const NONE_RE = /^(?:none|n\/?a|nothing|-+|—|–|\(none\))\.?$/i;

/** `Blocked by:` values: quoted text is an external blocker, ids are dependencies, other text is a blocker too. */
function readBlockers(value: string, lineNo: number, col: number, meta: TaskMeta): number {
  let n = 0;
  let rest = value;
  const quoted = QUOTED_RE;
  quoted.lastIndex = 0;
  for (let q = quoted.exec(value); q !== null; q = quoted.exec(value)) {
    const text = (q[1] ?? q[2]).trim();
    if (text) {
      meta.blockers.push(text);
      n++;
    }
    rest = rest.slice(0, q.index) + ' '.repeat(q[0].length) + rest.slice(q.index + q[0].length);
  }
  const partRe = BLOCKER_PART_RE;
  partRe.lastIndex = 0;
  for (let m = partRe.exec(rest); m !== null; m = partRe.exec(rest)) {
    const part = stripDecoration(m[0]);
    if (!part || NONE_RE.test(part)) continue;
    if (IDS_ONLY_RE.test(part)) {
      n += readIdList(m[0], lineNo, col + m.index, meta);
    } else {
      meta.blockers.push(part);
      n++;
    }
  }
  return n;
}

/** The kinds of `Key: value` lines understood under a task. */
export type MetaKey = 'deps' | 'blocked' | 'agent' | 'verify' | 'timeout' | 'priority' | 'estimate' | 'gate' | 'isolation' | 'files';

type MetaKeyRule = { key: MetaKey; re: RegExp; colonOptional: boolean };
const META_KEYS: MetaKeyRule[] = [
  {
    key: 'deps',
    re: /^(?:depends[ \t]+on|depend[ \t]+on|dependencies|dependency|deps|requires|prerequisites?|prereqs?|waits[ \t]+for)(?!\w)/i,
    colonOptional: true,
  },
  { key: 'blocked', re: /^(?:blocked[ \t]+by|blockers?|blocked)(?!\w)/i, colonOptional: true },
  { key: 'agent', re: /^(?:agent[ \t]+type|agent)(?!\w)/i, colonOptional: false },
  { key: 'verify', re: /^(?:verify[ \t]+command|verify|verification|acceptance[ \t]+test|acceptance[ \t]+command|acceptance)(?!\w)/i, colonOptional: false },
  { key: 'timeout', re: /^timeout(?!\w)/i, colonOptional: false },
  { key: 'isolation', re: /^isolation(?!\w)/i, colonOptional: false },
  { key: 'files', re: /^files?(?!\w)/i, colonOptional: false },
  { key: 'priority', re: /^priority(?!\w)/i, colonOptional: false },
  { key: 'estimate', re: /^(?:estimate|est|effort)(?!\w)/i, colonOptional: false },
  { key: 'gate', re: /^gate(?!\w)/i, colonOptional: false },
];

/**
 * META_KEYS by the letter (lower case) their match starts with, in META_KEYS order: a line is tried against the one or
 * two keys it can be, not all ten. Each key's pattern is `^word…` or `^(?:word…|word…)`: the first character of each
 * alternative is the letter (without the `u` flag, `i` folds no other character onto an ASCII letter).
 */
const META_KEYS_BY_LETTER: ReadonlyMap<number, readonly MetaKeyRule[]> = (() => {
  const out = new Map<number, MetaKeyRule[]>();
  for (const rule of META_KEYS) {
    const letters = new Set(
      rule.re.source
        .replace(/^\^(?:\(\?:)?/, '')
        .split('|')
        .map((alt) => alt.charCodeAt(0) | 0x20),
    );
    for (const c of letters) {
      if (c < 97 || c > 122) throw new Error(`taskLine: metadata key ${rule.key} does not start with a letter (${rule.re.source})`);
      let list = out.get(c);
      if (!list) out.set(c, (list = []));
      list.push(rule);
    }
  }
  return out;
})();

function hasRefId(value: string): boolean {
  REF_ID_RE.lastIndex = 0;
  return REF_ID_RE.test(value);
}

/**
 * Reads a `Key: value` metadata line under a task (`Depends on: T1, T2`, `**Agent:** devops`, `Verify: \`npm test\``).
 * `text` starts at column `col` of line `lineNo`. Returns the key understood (and whether its value was empty, so
 * nested bullets may carry the values), or undefined for any other line (a note, left alone).
 */
export function readMetaLine(text: string, lineNo: number, col: number, meta: TaskMeta): { key: MetaKey; empty: boolean } | undefined {
  return text.charCodeAt(0) === 68 /* D */ && commonDepsLine(text, lineNo, col, meta) ? DEPS_READ : readAnyMetaLine(text, lineNo, col, meta);
}

const DEPS_READ: { key: MetaKey; empty: boolean } = Object.freeze({ key: 'deps', empty: false });
/** `Depends on: T1, T2.3` written plainly (a CODITECT plan's dependency line): read by one pattern. */
const COMMON_DEPS_LINE_RE = /^Depends on: (T\d+(?:\.\d+)*(?:, T\d+(?:\.\d+)*)*)$/;
const COMMON_DEPS_VALUE_START = 'Depends on: '.length;

/**
 * readMetaLine's fast path: when `text` is a plain `Depends on: T1, T2` line, records its ids as readAnyMetaLine
 * would and returns true; otherwise records nothing and returns false (test/unit/core/taskLine.property.test.ts).
 */
export function commonDepsLine(text: string, lineNo: number, col: number, meta: TaskMeta): boolean {
  const m = COMMON_DEPS_LINE_RE.exec(text);
  if (m === null) return false;
  const ids = m[1];
  for (let at = 0; at < ids.length;) {
    const comma = ids.indexOf(',', at);
    const end = comma < 0 ? ids.length : comma;
    meta.refs.push({ id: ids.slice(at, end), line: lineNo, column: col + COMMON_DEPS_VALUE_START + at, source: 'explicit', type: 'blocks', kind: 'list' });
    at = end + 2;
  }
  return true;
}

/** readMetaLine without its fast path for plain dependency lines (exported for the test that compares them). */
export function readAnyMetaLine(text: string, lineNo: number, col: number, meta: TaskMeta): { key: MetaKey; empty: boolean } | undefined {
  const k = metaLineKey(text);
  if (!k) return undefined;
  const value = text.slice(k.valueStart).replace(/[ \t]+$/, '');
  if (value === '') return { key: k.key, empty: true };
  readMetaValue(k.key, value, lineNo, col + k.valueStart, meta);
  return { key: k.key, empty: false };
}

/**
 * A `Gate: review` line outside any task (a paragraph line or a top-level bullet under a feature heading): what it
 * says, with its problems (`bad-gate`), or undefined for any other line. The value is read as under a task.
 */
export function readGateLine(text: string, lineNo: number, col: number): { gate?: 'review'; problems: LineProblem[] } | undefined {
  if (metaLineKey(text)?.key !== 'gate') return undefined;
  const meta = emptyMeta();
  readMetaLine(text, lineNo, col, meta);
  return meta.gate !== undefined ? { gate: meta.gate, problems: meta.problems } : { problems: meta.problems };
}

/**
 * The key of a `Key: value` metadata line (`Depends on: T1`, `**Blocked by:** …`) and the column its value starts at,
 * or undefined for any other line: what readMetaLine reads, for an editor that edits the value (a quick fix).
 */
export function metaLineKey(text: string): { key: MetaKey; valueStart: number } | undefined {
  const dec = LEADING_DECORATION_RE.exec(text)![0].length;
  const rules = META_KEYS_BY_LETTER.get(text.charCodeAt(dec) | 0x20);
  if (rules === undefined) return undefined;
  const body = text.slice(dec);
  for (const { key, re, colonOptional } of rules) {
    const k = re.exec(body);
    if (!k) continue;
    const p = dec + k[0].length;
    const sep = META_SEPARATOR_RE.exec(text.slice(p))!;
    // "Depends on T1" needs no colon, but only when it names an id: "Depends on the infra team" is a note.
    if (sep[1] === undefined && (!colonOptional || sep[0].length === 0 || !hasRefId(text.slice(p + sep[0].length)))) return undefined;
    return { key, valueStart: p + sep[0].length };
  }
  return undefined;
}

/** Applies one metadata value (also used for nested bullets under an empty `Depends on:`). */
export function readMetaValue(key: MetaKey, value: string, lineNo: number, col: number, meta: TaskMeta): void {
  const end = col + value.length;
  switch (key) {
    case 'deps':
      if (readIdList(value, lineNo, col, meta) === 0 && !NONE_RE.test(stripDecoration(value))) {
        meta.problems.push(
          problem(lineNo, col, end, 'warning', 'bad-dependency', `"${value}" names no task id; write ids such as T001.009, separated by commas`),
        );
      }
      return;
    case 'blocked':
      readBlockers(value, lineNo, col, meta);
      return;
    case 'agent':
      setAgent(meta, value, lineNo, col, end);
      return;
    case 'verify': {
      const code = /^(`+)[ \t]?([\s\S]*?)[ \t]?\1$/.exec(value);
      const cmd = (code ? code[2] : value).trim();
      if (!cmd) {
        meta.problems.push(problem(lineNo, col, end, 'warning', 'bad-verify', 'The Verify line has no command'));
        return;
      }
      if (meta.verify !== undefined && meta.verify !== cmd) {
        meta.problems.push(problem(lineNo, col, end, 'warning', 'duplicate-metadata', `A second Verify command replaces "${meta.verify}"`));
      }
      meta.verify = cmd;
      return;
    }
    case 'timeout':
      setTimeoutValue(meta, value, lineNo, col, end);
      return;
    case 'priority': {
      const pr = parsePriority(value);
      if (pr) setPriority(meta, pr, lineNo, col, end);
      else badPriority(meta, value, lineNo, col, end);
      return;
    }
    case 'estimate':
      setEstimate(meta, value, lineNo, col, end);
      return;
    case 'gate':
      if (/^review$/i.test(stripDecoration(value).trim())) meta.gate = 'review';
      else meta.problems.push(problem(lineNo, col, end, 'warning', 'bad-gate', `Unknown gate "${value.trim()}"; write Gate: review`));
      return;
    case 'isolation': {
      const mode = stripDecoration(value).trim().toLowerCase();
      if (mode === 'none' || mode === 'worktree') meta.isolation = mode;
      else meta.problems.push(problem(lineNo, col, end, 'warning', 'bad-isolation', `Unknown isolation "${value.trim()}"; expected none or worktree`));
      return;
    }
    case 'files': {
      // `Files: src/a.ts, \`src/b.ts\`` — commas or spaces between paths (paths with spaces are not supported here).
      const paths = value
        .split(/[,\s]+/)
        .map((p) => stripDecoration(p).replace(/^[`'"]+|[`'"]+$/g, ''))
        .filter((p) => p !== '');
      if (paths.length === 0)
        meta.problems.push(
          problem(lineNo, col, end, 'warning', 'bad-files', `"${value.trim()}" names no path; write e.g. Files: src/models/user.py, src/api/`),
        );
      else (meta.files ??= []).push(...paths);
      return;
    }
  }
}

function setPriority(meta: TaskMeta, pr: Priority, lineNo: number, s: number, e: number): void {
  if (meta.priority !== undefined && meta.priority !== pr) {
    meta.problems.push(problem(lineNo, s, e, 'warning', 'duplicate-metadata', `Priority ${pr} replaces ${meta.priority} written earlier for this task`));
  }
  // The shared constant, not the string just cut from the line: one string for all tasks of a huge plan, not one each.
  meta.priority = PRIORITIES[PRIORITIES.indexOf(pr)] ?? pr;
}

function badPriority(meta: TaskMeta, value: string, lineNo: number, s: number, e: number): void {
  meta.problems.push(
    problem(lineNo, s, e, 'warning', 'bad-priority', `Unknown priority "${value}"; expected P0, P1, P2 or P3 (or critical, high, medium, low)`),
  );
}

function setEstimate(meta: TaskMeta, value: string, lineNo: number, s: number, e: number): void {
  const h = parseDurationHours(value);
  if (h === undefined) {
    meta.problems.push(problem(lineNo, s, e, 'warning', 'bad-estimate', `Unreadable estimate "${value.trim()}"; write e.g. 16h, ~4h, 2d, 1w or 30m`));
    return;
  }
  meta.estimateHours = h;
}

function setAgent(meta: TaskMeta, value: string, lineNo: number, s: number, e: number): void {
  const name = stripDecoration(value).split(/\s+/)[0] ?? '';
  if (!/^[A-Za-z0-9][\w.:/-]*$/.test(name)) {
    meta.problems.push(problem(lineNo, s, e, 'warning', 'bad-agent', `Unreadable agent name "${value.trim()}"; write e.g. Agent: devops-engineer`));
    return;
  }
  if (meta.agent !== undefined && meta.agent !== name) {
    meta.problems.push(problem(lineNo, s, e, 'warning', 'duplicate-metadata', `Agent ${name} replaces ${meta.agent} written earlier for this task`));
  }
  meta.agent = name;
}

function setTimeoutValue(meta: TaskMeta, value: string, lineNo: number, s: number, e: number): void {
  const min = parseTimeoutMinutes(value);
  if (min === undefined) {
    meta.problems.push(problem(lineNo, s, e, 'warning', 'bad-timeout', `Unreadable timeout "${value.trim()}"; write e.g. 30m, 2h or 90 (minutes)`));
    return;
  }
  meta.timeoutMinutes = min;
}

/** Adds what `from` found to `into` (a group is read into a probe first, and only kept when it is all metadata). */
export function mergeMeta(into: TaskMeta, from: TaskMeta): void {
  if (from.priority !== undefined) into.priority = from.priority;
  if (from.estimateHours !== undefined) into.estimateHours = from.estimateHours;
  if (from.agent !== undefined) into.agent = from.agent;
  if (from.verify !== undefined) into.verify = from.verify;
  if (from.timeoutMinutes !== undefined) into.timeoutMinutes = from.timeoutMinutes;
  if (from.gate !== undefined) into.gate = from.gate;
  if (from.isolation !== undefined) into.isolation = from.isolation;
  if (from.files !== undefined) into.files = [...(into.files ?? []), ...from.files];
  into.blockers.push(...from.blockers);
  into.refs.push(...from.refs);
  into.problems.push(...from.problems);
  into.parallel ||= from.parallel;
  if (from.serial) into.serial = true;
  into.tags.push(...from.tags);
}

function problem(line: number, column: number, endColumn: number, severity: Severity, code: string, message: string): LineProblem {
  return { line, column, endColumn, severity, code, message };
}

// ---- ids in any text, for editors ------------------------------------------------------------------------------

/** Every id form of the vocabulary above as a whole word: what a hover or a lookup by id finds in any text. */
const ANY_ID_RE = new RegExp(String.raw`(?<![\w.-])(?:${TASK_ID}|${KEY_ID}|${GROUP_ID}|${HASH_ID}|${PLAN_ID}|${OUTLINE_ID})(?![\w-]|\.\d)`, 'g');

/** The id written at `column` of `line` (the column may be just past its end), with its span; undefined when none is. */
export function idMentionAt(line: string, column: number): { id: string; start: number; end: number } | undefined {
  ANY_ID_RE.lastIndex = 0;
  for (let m = ANY_ID_RE.exec(line); m !== null; m = ANY_ID_RE.exec(line)) {
    if (m.index > column) return undefined;
    const end = m.index + m[0].length;
    if (column <= end) return { id: m[0], start: m.index, end };
  }
  return undefined;
}

/** A RegExp matching `id` as a whole word, delimited as the ids above are (T1.3 is not found in T1.31 nor in XT1.3). */
export function idWordPattern(id: string, flags = ''): RegExp {
  return new RegExp(String.raw`(?<![\w.-])${escapeRegExp(id)}(?![\w-]|\.\d)`, flags);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
