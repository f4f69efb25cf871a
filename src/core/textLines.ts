// Line splitting shared by the parser and the writer. Both MUST agree on what a line is, or the writer would edit
// the wrong bytes: a line ends at `\r\n`, `\n` or a lone `\r` (as in VS Code and markdown-it), and each line keeps
// its own ending so that joining `lines[i] + ends[i]` gives back the text exactly.

/** A text cut into lines (without their endings) and the ending of each (`''` for the last line). */
export interface SplitText {
  lines: string[];
  ends: string[];
}

/** Splits text into lines and their endings; `joinLines(splitLines(t))` is `t` for every string. */
export function splitLines(text: string): SplitText {
  const lines: string[] = [];
  const ends: string[] = [];
  // indexOf scans natively and the endings are shared constants: no match object per line (a plan has 10^4..10^6).
  let start = 0;
  let lf = text.indexOf('\n');
  let cr = text.indexOf('\r');
  while (lf >= 0 || cr >= 0) {
    let at: number;
    let end: string;
    if (cr >= 0 && (lf < 0 || cr < lf)) {
      at = cr;
      end = lf === cr + 1 ? '\r\n' : '\r';
    } else {
      at = lf;
      end = '\n';
    }
    lines.push(text.slice(start, at));
    ends.push(end);
    start = at + end.length;
    if (lf >= 0 && lf < start) lf = text.indexOf('\n', start);
    if (cr >= 0 && cr < start) cr = text.indexOf('\r', start);
  }
  lines.push(text.slice(start));
  ends.push('');
  return { lines, ends };
}

/** Inverse of splitLines. */
export function joinLines(split: SplitText): string {
  const { lines, ends } = split;
  // Array join is linear; string += in a loop is too, in V8, but this keeps peak memory predictable on 50 MB files.
  const parts = new Array<string>(lines.length * 2);
  for (let i = 0; i < lines.length; i++) {
    parts[2 * i] = lines[i];
    parts[2 * i + 1] = ends[i];
  }
  return parts.join('');
}

/** The dominant line ending: CRLF when more lines end in `\r\n` than in `\n` (a lone `\r` counts as `\n`). */
export function dominantEol(ends: readonly string[]): '\n' | '\r\n' {
  let crlf = 0;
  let other = 0;
  for (const e of ends) {
    if (e === '\r\n') crlf++;
    else if (e !== '') other++;
  }
  return crlf > other ? '\r\n' : '\n';
}

/**
 * `s` as a string of its own. A slice of a long string keeps that whole string alive as long as the slice lives; what
 * outlives the text it was cut from (a title kept in the task list, a heading read from a markdown-it chunk) is copied.
 */
export function ownCopy(s: string): string {
  return (' ' + s).slice(1);
}

/**
 * Where each line of a text starts, without cutting the text into lines: a 50 MB plan has a million lines, and an
 * array of them costs 40 bytes a line (a string header and a slot) against 4 here. Same lines as splitLines.
 */
export class LineIndex {
  /** Offset of the start of each line, then text.length + 1 as a sentinel (so the last line needs no case). */
  private readonly starts: Uint32Array;
  readonly count: number;
  /** The dominant line ending (see dominantEol). */
  readonly eol: '\n' | '\r\n';

  constructor(readonly text: string) {
    let starts = new Uint32Array(1024);
    let n = 0;
    let crlf = 0;
    let other = 0;
    const push = (at: number) => {
      if (n === starts.length) {
        const grown = new Uint32Array(starts.length * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[n++] = at;
    };
    push(0);
    let lf = text.indexOf('\n');
    let cr = text.indexOf('\r');
    while (lf >= 0 || cr >= 0) {
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        if (lf === cr + 1) {
          crlf++;
          next = cr + 2;
        } else {
          other++;
          next = cr + 1;
        }
      } else {
        other++;
        next = lf + 1;
      }
      push(next);
      if (lf >= 0 && lf < next) lf = text.indexOf('\n', next);
      if (cr >= 0 && cr < next) cr = text.indexOf('\r', next);
    }
    this.count = n;
    push(text.length + 1);
    this.starts = starts.slice(0, n + 1);
    this.eol = crlf > other ? '\r\n' : '\n';
  }

  /** Offset of line i's first character. */
  start(i: number): number {
    return this.starts[i];
  }

  /** Offset just past line i's last character (before its ending). */
  end(i: number): number {
    const next = this.starts[i + 1];
    if (i + 1 === this.count) return this.text.length;
    // The line ends one character before the next starts, two for `\r\n`.
    return this.text.charCodeAt(next - 1) === 10 && next >= 2 && this.text.charCodeAt(next - 2) === 13 && next - 2 >= this.starts[i] ? next - 2 : next - 1;
  }

  /** Line i without its ending; '' past the end. */
  line(i: number): string {
    return i >= 0 && i < this.count ? this.text.slice(this.starts[i], this.end(i)) : '';
  }
}
