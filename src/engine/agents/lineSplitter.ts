// One splitter for the JSON-lines stdout of the agent CLIs (Claude Code `stream-json`, Codex `exec --json`): chunks
// arrive cut anywhere, so a line is handed on only once its newline has arrived, and `flush()` hands on the last
// line when the stream ends without one.

/** Turns text chunks into whole lines (without the `\n`, and without a `\r` before it). */
export class LineSplitter {
  private parts: string[] = [];
  private partLen = 0;
  private dropped = 0;

  /**
   * @param onLine receives each complete line, in order.
   * @param maxLineChars a line longer than this is cut to its first `maxLineChars` characters (a runaway line with no
   *   newline MUST NOT grow memory without bound) [1000000].
   */
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars = 1_000_000,
  ) {
    if (!Number.isInteger(maxLineChars) || maxLineChars < 1) throw new RangeError(`maxLineChars must be a positive integer, got ${String(maxLineChars)}`);
  }

  /** Adds a chunk; calls `onLine` for every line it completes. */
  push(chunk: string): void {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      this.keep(chunk.slice(start, nl));
      this.emit();
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.slice(start));
  }

  /** Ends the stream: hands on the last line if it had no newline. Safe to call more than once. */
  flush(): void {
    if (this.partLen > 0 || this.dropped > 0) this.emit();
  }

  private keep(s: string): void {
    const room = this.maxLineChars - this.partLen;
    if (s.length > room) {
      this.dropped += s.length - Math.max(0, room);
      s = s.slice(0, Math.max(0, room));
    }
    if (s) {
      this.parts.push(s);
      this.partLen += s.length;
    }
  }

  private emit(): void {
    let line = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    this.partLen = 0;
    this.dropped = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.onLine(line);
  }
}

/** The lines of a whole text, as the splitter would deliver them (the last one even without a newline). */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l), Number.MAX_SAFE_INTEGER);
  s.push(text);
  s.flush();
  return out;
}
