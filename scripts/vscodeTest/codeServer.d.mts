// Types for TypeScript callers (test/e2e, test/unit) of codeServer.mjs.

/** The repository root. */
export const repoRoot: string;
/** .vscode-test/: everything installed or created for the VS Code tests (gitignored). */
export const cacheDir: string;
/** The pinned code-server version (VS Code 1.100.3). */
export const CODE_SERVER_VERSION: string;
export const codeServerPrefix: string;
export const codeServerPackageDir: string;
export const installedMarker: string;

/** What the install marker must say for the cached install to be reused. */
export function expectedMarker(): string;
/** Whether the cached code-server is installed and verified for this Node ABI. */
export function isInstalled(): boolean;
/** The command that starts code-server (CODE_SERVER_BIN or the cached install), or null. */
export function resolveCodeServer(o?: { requireInstalled?: boolean }): { command: string; args: string[]; source: string } | null;
/** A free TCP port on 127.0.0.1: `preferred` when free, else any. */
export function freePort(preferred?: number): Promise<number>;
/** Writes user settings for a test window (no trust dialog, no welcome, no telemetry) plus `extra`. */
export function writeUserSettings(userDataDir: string, extra?: Record<string, unknown>): void;

export interface CodeServerDirs {
  userDataDir: string;
  extensionsDir: string;
  configFile: string;
}
/** `code-server --install-extension <vsix> --force` into the given dirs; returns its output. */
export function installVsix(o: CodeServerDirs & { vsix: string }): string;
/** `code-server --list-extensions --show-versions`: lines like `publisher.name@1.2.3`. */
export function listExtensions(o: CodeServerDirs): string[];

export interface CodeServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}
export interface RunningCodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number | undefined;
  source: string;
  /** SIGTERM to code-server's process group, SIGKILL after the grace; idempotent. */
  close(graceMs?: number): Promise<void>;
  hasExited(): CodeServerExit | null;
  /** Settles when code-server exits. */
  exited: Promise<CodeServerExit>;
}
/** Starts code-server on 127.0.0.1 with auth off and waits until it answers /healthz. */
export function startCodeServer(
  o: CodeServerDirs & {
    logFile: string;
    env?: Record<string, string>;
    startTimeoutMs?: number;
    graceMs?: number;
    extraArgs?: string[];
    requireInstalled?: boolean;
    /** Leave VS Code's workspace trust on (default: code-server runs with --disable-workspace-trust). */
    workspaceTrust?: boolean;
    port?: number;
  },
): Promise<RunningCodeServer>;
/** The last `n` lines of a text file, or ''. */
export function tail(file: string, n?: number): string;
/** The workbench URL opening `folder`, with extensionDevelopmentPath/extensionTestsPath as vscode-remote URIs. */
export function workbenchUrl(o: { url: string; folder: string; extensionDevelopmentPath?: string; extensionTestsPath?: string }): string;
