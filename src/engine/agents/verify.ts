// Runs the `Verify:` acceptance command a person wrote in their own plan. It is the person's own shell line, so it
// goes through `/bin/sh -c` on purpose — unlike agent arguments, which never touch a shell.
import { agentEnv, runAgentProcess, type SandboxPolicy } from './sandbox';

/** Default cap on the captured output of an acceptance command. */
export const DEFAULT_VERIFY_OUTPUT_CHARS = 64_000;

export interface VerifyResult {
  /** True when the command exited 0 and was not aborted. */
  ok: boolean;
  exitCode: number | null;
  /** stdout and stderr interleaved, head and tail kept when longer than the cap. */
  output: string;
  /** True when the signal fired (cancel/timeout) and the command was killed. */
  aborted: boolean;
  /** Signal that ended the command, if any. */
  signal: NodeJS.Signals | null;
}

export interface VerifyOptions {
  /** SIGTERM → SIGKILL grace; default 5000. */
  killGraceMs?: number;
  /** Output cap in characters; default 64,000. */
  maxOutputChars?: number;
  /** Shell; default `/bin/sh`. */
  shell?: string;
  /** Live output (stdout and stderr chunks as they arrive). */
  onOutput?(chunk: string): void;
  /** The attempt's sandbox; default `defaultSandboxPolicy(cwd)`. */
  sandbox?: SandboxPolicy;
}

/**
 * Runs `command` through `/bin/sh -c` in `cwd`, in its own process group, in the attempt's sandbox, with the
 * allow-listed environment (`env` is the engine's; secrets in it are not passed), and reports whether it passed.
 */
export async function runVerify(
  command: string,
  cwd: string,
  signal: AbortSignal,
  env: Record<string, string | undefined>,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  if (typeof command !== 'string' || command.trim() === '') {
    throw new TypeError(`runVerify: the Verify command is empty (cwd ${cwd})`);
  }
  const r = await runAgentProcess({
    command: opts.shell ?? '/bin/sh',
    // `--`: a Verify line starting with `-` is the command, not an option of the shell.
    args: ['-c', '--', command],
    cwd,
    env: agentEnv(env, {}, opts.sandbox?.envAllow),
    sandbox: opts.sandbox,
    signal,
    killGraceMs: opts.killGraceMs,
    maxOutputChars: opts.maxOutputChars ?? DEFAULT_VERIFY_OUTPUT_CHARS,
    mergeStderr: true,
    onStdout: opts.onOutput,
    onStderr: opts.onOutput,
  });
  return {
    ok: r.exitCode === 0 && !r.aborted,
    exitCode: r.exitCode,
    output: r.stdout,
    aborted: r.aborted,
    signal: r.signal,
  };
}
