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
