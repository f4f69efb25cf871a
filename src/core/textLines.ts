// Line splitting shared by the parser and the writer. Both MUST agree on what a line is, or the writer would edit
// the wrong bytes: a line ends at `\r\n`, `\n` or a lone `\r` (as in VS Code and markdown-it), and each line keeps
// its own ending so that joining `lines[i] + ends[i]` gives back the text exactly.

/** A text cut into lines (without their endings) and the ending of each (`''` for the last line). */
export interface SplitText {
  lines: string[];
  ends: string[];
}

const EOL_RE = /\r\n|\r|\n/g;

/** Splits text into lines and their endings; `joinLines(splitLines(t))` is `t` for every string. */
export function splitLines(text: string): SplitText {
  const lines: string[] = [];
  const ends: string[] = [];
  EOL_RE.lastIndex = 0;
  let start = 0;
  for (let m = EOL_RE.exec(text); m !== null; m = EOL_RE.exec(text)) {
    lines.push(text.slice(start, m.index));
    ends.push(m[0]);
    start = m.index + m[0].length;
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
