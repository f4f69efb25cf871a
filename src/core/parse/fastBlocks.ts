// The block tokens markdown-it would give for a chunk of plain markdown, without running markdown-it. Plans are
// mostly ATX headings, bullet lists of one-line items (`- [ ] **T001.001** Title`, `  - Depends on: T001.000`),
// blank lines and a few plain paragraphs. For a chunk made only of those, scanBlocks returns the tokens that
// md.parse would (type, tag, nesting, level, map and content: what the walk in blocks.ts reads), in a fraction of
// its time: on the bench's 10,000-task plan markdown-it's block parse was a third of a process's first parse, most
// of it spent in the interpreter before V8 optimises its rules. Anything else in the chunk (a fence, HTML, a quote,
// a table, an ordered list, a setext underline, a tab in an indentation, indented code, a deep or oddly indented
// list, a line that could start a block of another kind…) makes it return undefined, and the chunk goes to
// markdown-it as before. test/unit/core/fastBlocks.property.test.ts checks on random markdown and on every fixture
// that whenever it answers, its tokens are markdown-it's.
//
// The rules kept here are markdown-it 14's (rules_block/list, paragraph, heading; state_block getLines), for the
// subset it accepts:
// - a line is blank when it holds only spaces and tabs; its indent is its leading spaces (a tab there: give up);
// - a paragraph runs until a blank line or a line that interrupts it (a bullet item, an ATX heading); any other
//   line continues it, whatever its indent (lazy continuation);
// - a bullet item `-`, `*` or `+` at indent j, then 1–3 spaces, then text: its content starts at column c;
//   a later line at indent ≥ c belongs to it, a bullet at indent < c closes it and is its sibling when the list
//   is the same (same marker, indent ≥ the list's own indent), else closes the list as well;
// - an item or list ends at the first non-blank line that closes it (blank lines before it are its own), or at the
//   end of the chunk.

/** The fields of a markdown-it block token that the parser reads. */
export interface BlockToken {
  type: string;
  tag: string;
  nesting: 1 | 0 | -1;
  level: number;
  map: [number, number] | null;
  content: string;
}

/** One token; a class so that every token has one shape. */
class Tok implements BlockToken {
  constructor(
    readonly type: string,
    readonly tag: string,
    readonly nesting: 1 | 0 | -1,
    readonly level: number,
    public map: [number, number] | null,
    public content: string,
  ) {}
}

/** An open list item: its list's indent (b), its content column (c), its marker, and the tokens whose end is not known yet. */
interface Item {
  b: number;
  c: number;
  marker: number;
  list: Tok;
  item: Tok;
}

/** What makes a chunk markdown-it's alone: control characters, a table's `|`, a reference definition's `]:`. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for (markdown-it turns NUL into U+FFFD)
const UNSUPPORTED = /[\0-\x08\x0b\x0c\x0e-\x1f|]|\]:/;
/** Lists nested deeper than this go to markdown-it (it has its own limit, reported by blocks.ts). */
const MAX_DEPTH = 16;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const STAR = 0x2a;
const PLUS = 0x2b;
const DASH = 0x2d;

/** markdown-it's asciiTrim: spaces, tabs and line ends off both ends. */
function asciiTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isTrimmable(s.charCodeAt(a))) a++;
  while (b > a && isTrimmable(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
function isTrimmable(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

/**
 * Whether the text from `p` (a non-space character) to `e` can only be paragraph text: it starts no block of another
 * kind, here or as a paragraph's next line (heading, quote, fence, HTML, list item, thematic break, setext underline).
 */
function plainStart(s: string, p: number, e: number): boolean {
  const ch = s.charCodeAt(p);
  switch (ch) {
    case HASH:
    case 0x3e: // >
    case 0x60: // `
    case 0x7e: // ~
    case 0x3c: // <
    case 0x3d: // =
    case DASH:
    case PLUS:
    case 0x5f: // _
      return false;
    case STAR: {
      // `**bold**` is text; `* x` an item, `***` or `* * *` a thematic break.
      if (p + 1 >= e) return false;
      const next = s.charCodeAt(p + 1);
      if (next === SPACE || next === TAB) return false;
      for (let q = p + 1; q < e; q++) {
        const c = s.charCodeAt(q);
        if (c !== STAR && c !== SPACE && c !== TAB) return true;
      }
      return false;
    }
  }
  if (ch >= 0x30 && ch <= 0x39) {
    // `1.` or `1)`: an ordered list item (any number of digits: markdown-it's limit of 9 need not be followed here).
    let q = p + 1;
    while (q < e && s.charCodeAt(q) >= 0x30 && s.charCodeAt(q) <= 0x39) q++;
    if (q < e && (s.charCodeAt(q) === 0x2e || s.charCodeAt(q) === 0x29)) return false;
  }
  return true;
}

/**
 * The block tokens md.parse would give for `src` (inline parsing off), or undefined when `src` holds anything this
 * scanner does not model exactly. Line numbers in maps are those markdown-it counts (`\r\n`, `\r` and `\n` end a line).
 */
export function scanBlocks(src: string): BlockToken[] | undefined {
  if (UNSUPPORTED.test(src)) return undefined;
  const s = new Scanner(src);
  for (let l = 0; l < s.lineMax; l++) if (!s.line(l)) return undefined;
  return s.finish();
}

/**
 * The scanner's state between lines. Methods rather than closures in one long function: V8 optimises each on its
 * own, and a process's first parse pays for that compilation (on the bench's plan, a third of the parse's CPU time).
 */
class Scanner {
  readonly begins: number[] = [];
  readonly ends: number[] = [];
  readonly lineMax: number;
  readonly tokens: Tok[] = objectArray<Tok>();
  readonly items: Item[] = objectArray<Item>();
  level = 0;
  /** The open paragraph's first line (-1: none), its block indent, and where its text starts on its first line. */
  paraStart = -1;
  paraIndent = 0;
  paraContentStart = -1;

  constructor(readonly src: string) {
    // Line starts and ends, as markdown-it counts them after normalising line endings; indexOf scans natively.
    const { begins, ends } = this;
    const len = src.length;
    let at = 0;
    let lf = src.indexOf('\n');
    let cr = src.indexOf('\r');
    for (;;) {
      let e: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        e = cr;
        next = lf === cr + 1 ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        e = lf;
        next = lf + 1;
      } else {
        // The last line, without an ending: markdown-it counts it only when it holds more than spaces and tabs.
        let q = at;
        while (q < len && (src.charCodeAt(q) === SPACE || src.charCodeAt(q) === TAB)) q++;
        if (q < len) {
          begins.push(at);
          ends.push(len);
        }
        break;
      }
      begins.push(at);
      ends.push(e);
      at = next;
      if (at >= len) break;
      if (lf >= 0 && lf < at) lf = src.indexOf('\n', at);
      if (cr >= 0 && cr < at) cr = src.indexOf('\r', at);
    }
    this.lineMax = begins.length;
  }

  /** Reads line l; false when it is something this scanner does not model. */
  line(l: number): boolean {
    const src = this.src;
    const b0 = this.begins[l];
    const e = this.ends[l];
    let p = b0;
    while (p < e && src.charCodeAt(p) === SPACE) p++;
    if (p < e && src.charCodeAt(p) === TAB) {
      while (p < e && (src.charCodeAt(p) === SPACE || src.charCodeAt(p) === TAB)) p++;
      if (p < e) return false; // a tab in an indentation: columns markdown-it expands
    }
    if (p >= e) {
      if (this.paraStart >= 0) this.closePara(l);
      return true;
    }
    const j = p - b0;
    // Indented four or more past the paragraph's block indent: its next line, whatever it holds.
    if (this.paraStart >= 0 && j - this.paraIndent > 3) return true;
    const ch = src.charCodeAt(p);
    if (ch === HASH) return j === 0 && this.heading(l, p, e);
    if ((ch === DASH || ch === STAR || ch === PLUS) && p + 1 < e && src.charCodeAt(p + 1) === SPACE) return this.bullet(l, j, p, e, ch);
    if (!plainStart(src, p, e)) return false;
    if (this.paraStart >= 0) return true; // lazy continuation
    const items = this.items;
    while (items.length > 0 && j < items[items.length - 1].c) this.closeList(this.closeItem(l), l);
    const outer = items.length > 0 ? items[items.length - 1].c : 0;
    if (j - outer >= 4) return false; // indented code
    this.paraStart = l;
    this.paraIndent = outer;
    this.paraContentStart = b0;
    return true;
  }

  /** An ATX heading at column 0 (`p` at its first `#`). */
  heading(l: number, p: number, e: number): boolean {
    const src = this.src;
    let q = p + 1;
    while (q < e && src.charCodeAt(q) === HASH) q++;
    const hl = q - p;
    if (hl > 6 || (q < e && src.charCodeAt(q) !== SPACE && src.charCodeAt(q) !== TAB)) return false;
    if (this.paraStart >= 0) this.closePara(l);
    while (this.items.length > 0) this.closeList(this.closeItem(l), l);
    // markdown-it's heading rule: trailing spaces, then a closing run of `#` preceded by a space, are cut.
    let max = e;
    while (max > q && (src.charCodeAt(max - 1) === SPACE || src.charCodeAt(max - 1) === TAB)) max--;
    let t = max;
    while (t > q && src.charCodeAt(t - 1) === HASH) t--;
    if (t > q && (src.charCodeAt(t - 1) === SPACE || src.charCodeAt(t - 1) === TAB)) max = t;
    const tag = `h${hl}`;
    const tokens = this.tokens;
    tokens.push(new Tok('heading_open', tag, 1, this.level, [l, l + 1], ''));
    tokens.push(new Tok('inline', '', 0, this.level + 1, [l, l + 1], asciiTrim(src.slice(q, max))));
    tokens.push(new Tok('heading_close', tag, -1, this.level, null, ''));
    return true;
  }

  /** A bullet item at indent j (`p` at its marker `ch`, a space after it): 1–3 spaces, then text that starts no other block. */
  bullet(l: number, j: number, p: number, e: number, ch: number): boolean {
    const src = this.src;
    let q = p + 1;
    while (q < e && src.charCodeAt(q) === SPACE) q++;
    const spaces = q - p - 1;
    if (q >= e || spaces > 3 || src.charCodeAt(q) === TAB || !plainStart(src, q, e)) return false;
    // `- - -`, `* * *`: a thematic break, not an item.
    if (ch !== PLUS && isBreak(src, p, e, ch)) return false;
    const c = j + 1 + spaces;
    const items = this.items;
    const top = items.length > 0 ? items[items.length - 1] : undefined;
    // A paragraph's line at j ≥ its list's indent + 4 and < its content column continues it (markdown-it's
    // "paragraph continuation" special case): not modelled.
    if (top && j < top.c && j - top.b >= 4) return false;
    if (this.paraStart >= 0) this.closePara(l);
    while (items.length > 0 && j < items[items.length - 1].c) {
      const it = items[items.length - 1];
      if (j - it.b >= 4) return false;
      this.closeItem(l);
      if (j >= it.b && it.marker === ch) {
        this.openItem(l, it.b, c, ch, it.list, q);
        return true;
      }
      this.closeList(it, l);
    }
    const outer = items.length > 0 ? items[items.length - 1].c : 0;
    if (j - outer >= 4 || items.length >= MAX_DEPTH) return false;
    const list = new Tok('bullet_list_open', 'ul', 1, this.level, [l, 0], '');
    this.level++;
    this.tokens.push(list);
    this.openItem(l, outer, c, ch, list, q);
    return true;
  }

  closePara(end: number): void {
    const start = this.paraStart;
    const content = end - start === 1 ? this.src.slice(this.paraContentStart, this.ends[start]) : this.paragraphLines(end);
    const tokens = this.tokens;
    tokens.push(new Tok('paragraph_open', 'p', 1, this.level, [start, end], ''));
    tokens.push(new Tok('inline', '', 0, this.level + 1, [start, end], asciiTrim(content)));
    tokens.push(new Tok('paragraph_close', 'p', -1, this.level, null, ''));
    this.paraStart = -1;
  }

  /** A paragraph's lines up to `end`, each without up to its block indent of leading spaces (markdown-it's getLines). */
  paragraphLines(end: number): string {
    const { src, begins, ends } = this;
    const start = this.paraStart;
    const parts: string[] = [src.slice(this.paraContentStart, ends[start])];
    for (let l = start + 1; l < end; l++) {
      let p = begins[l];
      const e = ends[l];
      for (let k = 0; k < this.paraIndent && p < e && src.charCodeAt(p) === SPACE; k++) p++;
      parts.push(src.slice(p, e));
    }
    return parts.join('\n');
  }

  closeItem(end: number): Item {
    const it = this.items.pop()!;
    it.item.map![1] = end;
    this.level--;
    this.tokens.push(new Tok('list_item_close', 'li', -1, this.level, null, ''));
    return it;
  }

  closeList(it: Item, end: number): void {
    it.list.map![1] = end;
    this.level--;
    this.tokens.push(new Tok('bullet_list_close', 'ul', -1, this.level, null, ''));
  }

  openItem(l: number, b: number, c: number, marker: number, list: Tok, contentStart: number): void {
    const item = new Tok('list_item_open', 'li', 1, this.level, [l, 0], '');
    this.level++;
    this.tokens.push(item);
    this.items.push({ b, c, marker, list, item });
    this.paraStart = l;
    this.paraIndent = c;
    this.paraContentStart = contentStart;
  }

  /** The tokens, once every line is read: what is still open ends at the last line. */
  finish(): Tok[] {
    if (this.paraStart >= 0) this.closePara(this.lineMax);
    while (this.items.length > 0) this.closeList(this.closeItem(this.lineMax), this.lineMax);
    return this.tokens;
  }
}

/**
 * An empty array that already holds objects as far as V8 is concerned. A new `[]` starts as an array of small
 * integers, and code optimised while pushing onto one deoptimises when the first object goes in (each chunk has a new
 * Scanner): on the bench's plan `bullet` and `openItem` were compiled twice because of it.
 */
function objectArray<T>(): T[] {
  const a: unknown[] = [null];
  a.length = 0;
  return a as T[];
}

/** Whether the line from `p` holds only `ch` (three or more) and spaces: a thematic break. */
function isBreak(src: string, p: number, e: number, ch: number): boolean {
  let marks = 0;
  for (let r = p; r < e; r++) {
    const c = src.charCodeAt(r);
    if (c === ch) marks++;
    else if (c !== SPACE && c !== TAB) return false;
  }
  return marks >= 3;
}
