// Pass 1 of the parser: block structure. markdown-it's BLOCK parser (inline parsing disabled: it is not needed and
// costs most of the time) decides what is a list item, a heading, a code block, an HTML block, a blockquote or a
// table, so a checkbox inside a fence, a comment, a quote or a table is never a task. Its tokens, with their source
// maps, become events: headings, task drafts (each task line read by taskLine.ts, with the metadata of its direct
// sub-bullets and continuation lines) and phase-dependency statements. Large files are read in chunks cut at
// top-level block boundaries (parseBlocks), so memory stays bounded and time linear even at 50 MB.
import MarkdownIt from 'markdown-it';
import type { Diagnostic } from '../model';
import { analyzeTaskLine, readGateLine, readMetaLine, readMetaValue, readNoteRefs } from '../taskLine';
import { acBlockMarker, type CriteriaNames } from './criteria';
import type { Drafts, Ev, Frame, PhaseSelector, RefTable } from './drafts';
import { scanBlocks, type BlockToken } from './fastBlocks';
import { ownCopy, type LineIndex } from '../textLines';

type Token = BlockToken;

/**
 * Lines handed to markdown-it at a time; a chunk grows (doubling) only when one block is longer than this. 250, not
 * the 1,000 of before: a process's first parse of the bench's 10,000-task plan (`npm run bench`, sync scenario) takes
 * about 0.75 of the CPU time, a warm one about the same. Profiles put the saving in markdown-it's block loop, the token
 * walk below and the garbage collector, in the first seconds of a process only (when V8 has not optimised them yet).
 */
const CHUNK_LINES = 250;

let mdInstance: MarkdownIt | undefined;
/** markdown-it's default maxNesting (token levels; a list level takes two). Set explicitly so the message is true. */
const MAX_NESTING = 100;
/**
 * Where the md.parse running now stopped reading because blocks nest deeper than markdown-it's maxNesting (100 token
 * levels: 49 list levels, the 50th item's own text already lies past it): it skips those lines without a word, and 9,951 tasks of a 10,000-level list vanished so.
 */
let tooDeep: { line: number; endLine: number } | undefined;
function markdown(): MarkdownIt {
  if (!mdInstance) {
    // `html: true` so that `<!-- … -->` and other HTML blocks are recognised (their contents are not tasks).
    mdInstance = new MarkdownIt('default', { html: true, maxNesting: MAX_NESTING } as MarkdownIt.Options);
    // Only block structure matters; inline parsing (and the core rules that post-process it) would triple the time.
    mdInstance.core.ruler.disable(['inline', 'linkify', 'replacements', 'smartquotes', 'text_join'], true);
    // markdown-it's block tokenizer gives up on lines at maxNesting (its guard against unbounded recursion): note
    // where, so the skipped lines become an error instead of silently missing tasks.
    const block = mdInstance.block;
    const tokenize = block.tokenize.bind(block);
    block.tokenize = (state, startLine, endLine) => {
      if (state.level >= MAX_NESTING && tooDeep === undefined) {
        const line = state.skipEmptyLines(startLine);
        if (line < endLine && state.sCount[line] >= state.blkIndent) tooDeep = { line, endLine };
      }
      tokenize(state, startLine, endLine);
    };
  }
  return mdInstance;
}

/** A list item line with a checkbox (what the parser reads as a task), for counting the lines nesting hid. */
const CHECKBOX_ITEM = /^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[[ xX/-]\]/;

export interface WalkState {
  lines: LineIndex;
  events: Ev[];
  /** The tasks, numbered in document order. */
  drafts: Drafts;
  /** The tasks' written references (Drafts.finish), until the dependency pass has resolved them. */
  refs: RefTable;
  diagnostics: Diagnostic[];
  lastHeading: string;
  criteria: CriteriaNames;
  /** Inside a Backlog.md `<!-- AC:BEGIN -->` … `<!-- AC:END -->` block. */
  acBlock: boolean;
  /** The last top-level paragraph was a criteria label (`**Acceptance Criteria:**`): the list after it is criteria. */
  criteriaLabel: boolean;
}

/** A checkbox at the start of a list item's text; Kiro marks an optional task with a star right after it (`[ ]*`). */
const CHECKBOX_START = /^\[[ xX/-]\]\*?(?:[ \t]|$)/;
const MALFORMED_BOX = /^\[(?:|[ \t]{2,}|[ \t]*[xX✓✔][ \t]+|[ \t]+[xX✓✔][ \t]*)\]|^\[[ xX]\](?=[^ \t\][(:])/;
const PHASE_LABEL = /\bPhases?[ \t]+(\d+)[ \t]*(\+|[-–][ \t]*(\d+)|(?:[ \t]*(?:,|and|&)[ \t]*\d+)+)?|\b(?:Final|Last)[ \t]+Phase\b/i;
const STORY_LABEL = /\b(?:User[ \t]+Story[ \t]+|US[ \t]?)(\d+)\b/i;
/** "Phase 4 depends on Phase 3", "User Story 2 can start after User Story 1" in a dependencies section. */
const SENTENCE_RULE =
  /^((?:Phases?|User[ \t]+Stor(?:y|ies)|US)[ \t]*\d[^:]*?|(?:Final|Last)[ \t]+Phase)[ \t]*(?:\([^)]*\))?[ \t]*[:,–—-]?[ \t]*((?:depends?|can[ \t]+start|starts?|requires?|waits?|needs?|runs?|comes?)\b.*)$/i;
const SELF_DEPENDS = /^(?:\*\*|__)?(?:depends[ \t]+on|dependencies)(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*(.+)$/i;

/**
 * Feeds markdown-it the file in chunks that end at a top-level block (or top-level list item) boundary. Lines before
 * `hidden` (front matter) are fed as blank lines. A chunk is a slice of the text: markdown-it reads `\r\n` and `\r`
 * as line ends exactly as LineIndex does.
 */
export function parseBlocks(st: WalkState, hidden: number): void {
  const idx = st.lines;
  const n = idx.count;
  let start = 0;
  let size = CHUNK_LINES;
  while (start < n) {
    const end = Math.min(n, start + size);
    const from = Math.max(start, Math.min(hidden, end));
    const blank = '\n'.repeat(from - start);
    tooDeep = undefined;
    const src = from < end ? blank + idx.text.slice(idx.start(from), idx.end(end - 1)) : blank;
    // Plain chunks (headings, bullet items, paragraphs) are tokenised by scanBlocks, exactly as markdown-it would.
    // markdown-it itself is built only when a chunk needs it (its constructor compiles linkify's patterns: ~10 ms).
    const tokens: Token[] = scanBlocks(src) ?? markdown().parse(src, {});
    const deep = tooDeep as { line: number; endLine: number } | undefined;
    tooDeep = undefined;
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
    if (deep && start + deep.line < next) {
      const first = start + deep.line;
      const to = Math.min(next, start + deep.endLine);
      let ignored = 0;
      for (let l = first; l < to; l++) if (CHECKBOX_ITEM.test(idx.line(l))) ignored++;
      st.diagnostics.push({
        line: first,
        column: 0,
        endLine: to - 1,
        severity: 'error',
        code: 'nesting-too-deep',
        message: `nested more than ${MAX_NESTING / 2 - 1} levels deep: lines ${first + 1}–${to} are not read (${ignored} task line(s) ignored); indent less`,
        data: { ignoredTasks: ignored },
      });
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
          // Copied: markdown-it's content is a slice of the chunk's text, which it would keep alive (a copy of the file).
          const text = ownCopy(tokens[i + 1]?.content ?? '');
          st.events.push({ k: 'heading', before: st.drafts.count, line: offset + t.map[0], level: Number(t.tag.slice(1)), text });
          st.lastHeading = text;
          st.criteriaLabel = false;
        }
        break;
      case 'html_block': {
        const marker = quote === 0 ? acBlockMarker(t.content) : undefined;
        if (marker) st.acBlock = marker === 'begin';
        break;
      }
      case 'list_item_open':
        if (quote === 0) stack.push(listItem(st, tokens, i, offset, stack));
        break;
      case 'list_item_close':
        if (quote === 0) {
          const f = stack.pop();
          // Nothing adds to a task's metadata after its list item ends (sub-bullets are inside it).
          if (f?.kind === 'task') st.drafts.finish(f.draft, f.line, f.a, st.refs);
        }
        break;
      case 'paragraph_open':
        if (quote === 0 && stack.length === 0 && t.map) {
          const line = offset + t.map[0];
          const raw = st.lines.line(line);
          const text = raw.trimStart();
          checkLooseCheckbox(st, text, line, raw.length - text.length);
          // Every line of the paragraph: GSD writes `**Depends on**: Phase 2` as a continuation of the `**Goal**:` line.
          for (let l = t.map[0]; l < t.map[1]; l++) {
            const r = st.lines.line(offset + l);
            const lt = r.trimStart();
            checkGateLine(st, lt, offset + l, r.length - lt.length);
            checkStatements(st, lt.trimEnd(), offset + l);
          }
          st.criteriaLabel = st.criteria.label(text.split('\n')[0]);
        }
        break;
    }
  }
}

function listItem(st: WalkState, tokens: Token[], i: number, offset: number, stack: readonly Frame[]): Frame {
  const parent = stack[stack.length - 1];
  const item = tokens[i];
  if (!item.map) return { kind: 'other' };
  const line = offset + item.map[0];
  const raw = st.lines.line(line);
  const para = tokens[i + 1];
  if (!para || para.type !== 'paragraph_open' || !para.map || para.map[0] !== item.map[0]) return { kind: 'other' };
  const content = tokens[i + 2]?.content ?? '';
  const nl = content.indexOf('\n');
  let first = nl < 0 ? content : content.slice(0, nl);
  if (CHECKBOX_START.test(first) && first.slice(first[3] === '*' ? 4 : 3).trim() === '') {
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
      const draft = st.drafts.add();
      nest(st, draft, stack);
      // Continuation lines of the task's own paragraph may carry metadata too ("  Depends on: T1").
      for (let l = para.map[0] + 1; l < para.map[1]; l++) {
        const r = st.lines.line(offset + l);
        const text = r.trimStart();
        if (!readMetaLine(text, offset + l, r.length - text.length, a.meta)) {
          checkLooseCheckbox(st, text, offset + l, r.length - text.length);
          readNoteRefs(text, offset + l, r.length - text.length, a.meta);
        }
      }
      return { kind: 'task', draft, line, a };
    }
  }
  const col = contentColumn(raw, first);
  if (parent?.kind === 'task' || (parent?.kind === 'other' && parent.note) || parent?.kind === 'metaList') {
    // What metadata keeps of this line (a verify command, a blocker's reason) must not keep the chunk's text alive.
    first = ownCopy(first);
  }
  if (parent?.kind === 'task' || (parent?.kind === 'other' && parent.note)) {
    const meta = parent.kind === 'task' ? parent.a.meta : parent.note!;
    const r = parent.kind === 'task' ? readMetaLine(first, line, col, meta) : undefined;
    if (r?.empty) return { kind: 'metaList', key: r.key, meta };
    if (r) return { kind: 'other' };
    // A note (`- Description: … after deploying the bus (T001.009)`), at any depth under the task: its prose may
    // state what the task waits for, on any of its lines.
    for (let l = para.map[0]; l < para.map[1]; l++) {
      const raw2 = st.lines.line(offset + l);
      const text = l === para.map[0] ? first : raw2.trimStart();
      readNoteRefs(text, offset + l, l === para.map[0] ? col : raw2.length - text.length, meta);
    }
    return { kind: 'other', criteria: st.criteria.label(first) || undefined, note: meta };
  }
  if (parent?.kind === 'metaList') {
    const value = first.replace(/[ \t]+$/, '');
    if (value) readMetaValue(parent.key, value, line, col, parent.meta);
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
  // A top-level bullet `- Gate: review` (outside any task) gates the feature whose section it is in.
  if (!parent) checkGateLine(st, first, line, col);
  checkStatements(st, first, line);
  return { kind: 'other', criteria: st.criteria.label(first) || undefined };
}

/** `Gate: review` outside any task: an event the hierarchy pass gives to the feature of the section (FeatureNode.gate). */
function checkGateLine(st: WalkState, text: string, line: number, col: number): void {
  const g = readGateLine(text, line, col);
  if (g) st.events.push({ k: 'gate', before: st.drafts.count, line, column: col, ...(g.gate ? { gate: g.gate } : {}), problems: g.problems });
}

/**
 * Links a task to the task it is nested under (through plain bullets too: `- [ ] A` › `- Steps:` › `- [ ] a`), and
 * marks it a criterion when it sits in a criteria block, after a criteria label, under a criteria bullet or under a
 * criterion.
 */
function nest(st: WalkState, draft: number, stack: readonly Frame[]): void {
  let criterion = st.acBlock || st.criteriaLabel;
  for (let k = stack.length - 1; k >= 0; k--) {
    const f = stack[k];
    if (f.kind === 'other') {
      if (f.criteria) criterion = true;
      continue;
    }
    if (f.kind === 'task') {
      st.drafts.nest(draft, f.draft);
      if (st.drafts.criterion(f.draft)) criterion = true;
    }
    break;
  }
  if (criterion) st.drafts.setCriterion(draft);
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
    st.events.push({ k: 'phaseSelf', before: st.drafts.count, line, text: ownCopy(self[1]) });
    return;
  }
  if (!/depend/i.test(st.lastHeading)) return;
  // `- **Polish (Final Phase)**: Depends on …`, `- **User Story 2 (P2)**: Can start after …`
  const rule = /^(?:\*\*|__)([^*_]+?)(?:\*\*|__)[ \t]*:?[ \t]*(.*)$/.exec(text);
  const sentence = rule ? undefined : SENTENCE_RULE.exec(text);
  const label = rule?.[1] ?? sentence?.[1];
  if (label === undefined) return;
  const sel = selectorOf(label);
  if (sel) st.events.push({ k: 'phaseRule', before: st.drafts.count, line, sel, text: ownCopy(rule ? rule[2] : sentence![2]) });
}

/** Which phases a statement's subject names: `Phase 2`, `Phase 3+`, `Phases 3-5`, `Phase 3, 4, 5`, `Final Phase`, `User Story 2`. */
function selectorOf(label: string): PhaseSelector | undefined {
  const p = PHASE_LABEL.exec(label);
  if (p) {
    if (p[1] === undefined) return { kind: 'final' };
    if (p[2] === '+') return { kind: 'from', n: Number(p[1]) };
    if (p[3] !== undefined) return { kind: 'range', a: Number(p[1]), b: Number(p[3]) };
    if (p[2] !== undefined) return { kind: 'list', ns: (p[0].match(/\d+/g) ?? []).map(Number) };
    return { kind: 'exact', n: Number(p[1]) };
  }
  const s = STORY_LABEL.exec(label);
  return s ? { kind: 'story', n: Number(s[1]) } : undefined;
}

/** Front matter (`---` … `---` at the very top) is metadata, not markdown: hide it from markdown-it. */
export function frontMatterEnd(lines: LineIndex): number {
  if (lines.count < 2 || lines.line(0).trimEnd() !== '---') return 0;
  for (let i = 1; i < lines.count; i++) {
    const l = lines.line(i).trimEnd();
    if (l === '---' || l === '...') return i + 1;
  }
  return 0;
}
