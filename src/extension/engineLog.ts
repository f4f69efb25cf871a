// What the Output channel shows of the engine: one line per event, with the channel's own timestamp and level only
// (the engine's stderr lines carried a second timestamp and level inside the channel's), each warning or error once
// though it reaches the editor twice (on stderr and as a log notification), and a line for every new problem in the
// task list that changes what runs (a cycle, an unknown dependency, a duplicate id…). Pure: tested in plain Node.
import type { Diagnostic } from '../core/model';
import type { LogLevel } from '../protocol/engineProtocol';

/** An engine log line as the Output channel takes it. */
export interface EngineLogLine {
  level: LogLevel;
  message: string;
}

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z (DEBUG|INFO|WARN|ERROR) +(.*)$/;

/**
 * Reads a line of the engine's stderr (`2026-01-02T03:04:05.678Z WARN  text`, src/engine/logger.ts) as its level and
 * text. Any other line (a stack trace, the native-module line, a crash before the logger exists) is kept whole as info.
 */
export function parseEngineLine(line: string): EngineLogLine {
  const m = LINE.exec(line);
  if (!m) return { level: 'info', message: line };
  return { level: m[1].toLowerCase() as LogLevel, message: m[2] };
}

/** How long the second copy of a line may trail the first, ms. */
const TWIN_MS = 10_000;

/**
 * Drops the second copy of a warning or error: the engine writes it on stderr and also sends it as a log notification
 * (which is how an editor attached to another engine hears it), and the two pipes deliver in either order.
 */
export class LogTwins {
  private readonly seen = new Map<string, { source: 'stderr' | 'notification'; at: number }>();

  /** True when `line` from `source` should be shown (it is not the other source's copy of a line just shown). */
  admit(source: 'stderr' | 'notification', line: EngineLogLine, now: number): boolean {
    if (line.level !== 'warn' && line.level !== 'error') return true;
    for (const [k, v] of this.seen) if (now - v.at > TWIN_MS) this.seen.delete(k);
    const key = `${line.level}\u0000${line.message}`;
    const prev = this.seen.get(key);
    if (prev && prev.source !== source) {
      this.seen.delete(key);
      return false;
    }
    this.seen.set(key, { source, at: now });
    return true;
  }
}

/** Diagnostic codes that change what runs: the task is held, dropped or its dependencies are not what was written. */
export const DISPATCH_CODES: ReadonlySet<string> = new Set([
  'dependency-cycle',
  'unknown-dependency',
  'duplicate-id',
  'malformed-task',
  'phase-dependency-unresolved',
  'sync-conflict',
  'sync-write-failed',
]);

/**
 * The Output lines for a new set of diagnostics: one for each dispatch-changing problem not in the previous set
 * (`PROJECT-TASKLIST.md:14: dependency-cycle: …`), and one when such problems are all gone. `shown` is updated.
 */
export function diagnosticLines(file: string, diagnostics: readonly Diagnostic[], shown: Set<string>): EngineLogLine[] {
  const now = new Set<string>();
  const out: EngineLogLine[] = [];
  for (const d of diagnostics) {
    if (!DISPATCH_CODES.has(d.code) || d.severity === 'info') continue;
    const key = `${d.code}\u0000${d.line}\u0000${d.message}`;
    now.add(key);
    if (shown.has(key)) continue;
    out.push({ level: d.severity === 'error' ? 'error' : 'warn', message: `${file}:${d.line + 1}: ${d.code}: ${d.message}` });
  }
  if (now.size === 0 && shown.size > 0) out.push({ level: 'info', message: `${file}: no problem holds a task any more` });
  shown.clear();
  for (const k of now) shown.add(k);
  return out;
}
