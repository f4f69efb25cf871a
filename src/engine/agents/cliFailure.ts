// Shared by the CLI-backed agents: turning a failed child process (its exit, its error text) into an AgentError.
import { AgentError, abortError, type AgentErrorKind } from './agent';
import { SpawnError, type ProcessTreeResult } from './processTree';

/**
 * Ms until the reset time a usage-limit message names ("… limit reached ∙ resets 3pm", "will reset at 14:05",
 * "resets at 2:30 am"): the next such local time after `now`. Undefined when the text names none.
 */
export function resetTimeIn(text: string, now = Date.now()): number | undefined {
  const m = /\bresets?\b(?:\s+at)?\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b/i.exec(text);
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  const half = m[3]?.toLowerCase();
  if (m[2] === undefined && half === undefined) return undefined; // a bare number ("resets 3") is not a time
  if (minute > 59 || (half ? hour < 1 || hour > 12 : hour > 23)) return undefined;
  if (half === 'pm' && hour < 12) hour += 12;
  if (half === 'am' && hour === 12) hour = 0;
  const at = new Date(now);
  at.setHours(hour, minute, 0, 0);
  if (at.getTime() <= now) at.setDate(at.getDate() + 1);
  return at.getTime() - now;
}

/** Kind (and wait) guessed from an agent CLI's error text. Undefined when the text says nothing recognisable. */
export function classifyFailureText(text: string, now = Date.now()): { kind: AgentErrorKind; retryAfterMs?: number } | undefined {
  if (/rate[ _-]?limit|\b429\b|too many requests|usage limit|quota (?:exceeded|exhausted)|resource[_ ]exhausted/i.test(text)) {
    // Claude Code prints "Claude AI usage limit reached|<epoch seconds>" when a subscription window is used up.
    const epoch = /limit reached\|(\d{9,11})/i.exec(text);
    if (epoch) return { kind: 'rate_limited', retryAfterMs: Math.max(0, Number(epoch[1]) * 1000 - now) };
    const reset = resetTimeIn(text, now);
    if (reset !== undefined) return { kind: 'rate_limited', retryAfterMs: reset };
    const secs = /retry[- ]after[:= ]+(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds)?/i.exec(text) ?? /try again in (\d+(?:\.\d+)?)\s*(ms|s|sec|seconds)/i.exec(text);
    if (secs) return { kind: 'rate_limited', retryAfterMs: Math.round(Number(secs[1]) * (secs[2] === 'ms' ? 1 : 1000)) };
    return { kind: 'rate_limited' };
  }
  if (
    /invalid (?:x-)?api[ -]?key|authentication[_ ](?:error|failed)|unauthori[sz]ed|\b401\b|\b403\b|permission[_ ]denied|please run \/login|not logged in|login required|oauth token (?:has )?expired|api key not (?:found|set|valid)|set an auth method/i.test(
      text,
    )
  ) {
    return { kind: 'auth' };
  }
  if (
    /overloaded|\b529\b|\b50[0234]\b|internal server error|service unavailable|bad gateway|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|socket hang up|network error|connection (?:error|reset|refused)|timed out/i.test(
      text,
    )
  ) {
    return { kind: 'transient' };
  }
  return undefined;
}

/** Last `max` characters of `text`, for error messages. */
export function tailOf(text: string, max = 400): string {
  const t = text.trim();
  return t.length <= max ? t : '…' + t.slice(t.length - max);
}

/** AgentError for an executable that could not be started. */
export function spawnFailure(e: SpawnError, provider: string, agentName: string, executable: string): AgentError {
  const hint =
    e.code === 'ENOENT'
      ? `executable "${executable}" not found (is it installed and on PATH, or set "executable" for agent "${agentName}"?), or the working directory does not exist`
      : e.message;
  return new AgentError(`${provider}: cannot start: ${hint}`, 'config', provider, undefined, { cause: new Error(e.message) });
}

/** The AgentError for a process result that is a failure, or undefined when the exit code is a success. */
export function exitFailure(
  r: ProcessTreeResult,
  provider: string,
  redact: (s: string) => string,
  signal: AbortSignal,
  opts: { successExitCodes?: readonly number[]; exitCodeKinds?: Readonly<Record<string, AgentErrorKind>>; extraText?: string } = {},
): AgentError | undefined {
  if (r.aborted || signal.aborted) return abortError(signal, provider);
  const ok = opts.successExitCodes ?? [0];
  if (r.exitCode !== null && ok.includes(r.exitCode)) return undefined;
  const how = r.exitCode !== null ? `exited with code ${r.exitCode}` : `was killed by ${r.signal ?? 'a signal'}`;
  const text = `${opts.extraText ?? ''}\n${r.stderr}\n${r.stdout}`;
  const detail = tailOf(redact(opts.extraText || r.stderr || r.stdout));
  const mapped = r.exitCode !== null ? opts.exitCodeKinds?.[String(r.exitCode)] : undefined;
  if (mapped) return new AgentError(`${provider}: ${how}: ${detail}`, mapped, provider);
  if (r.exitCode === 126 || r.exitCode === 127)
    return new AgentError(`${provider}: ${how} (command not executable or not found): ${detail}`, 'config', provider);
  const guess = classifyFailureText(text);
  return new AgentError(`${provider}: ${how}: ${detail || '(no output)'}`, guess?.kind ?? 'transient', provider, guess?.retryAfterMs);
}
