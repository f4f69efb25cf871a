// Types for TypeScript callers (test/e2e) of workbench.mjs.
import type { Browser, Page } from 'playwright-core';
import type { RunningCodeServer } from './codeServer.mjs';

/** test/integration/fixtures/workspace: the small plan the tests open. */
export const fixtureWorkspace: string;
/** Copies a folder (default: the fixture workspace) to a fresh temp dir and returns its path. */
export function copyWorkspace(from?: string): string;
export interface Workbench {
  page: Page;
  browser: Browser;
  server: RunningCodeServer;
  /** The workbench URL the page opened. */
  url: string;
  logFile: string;
  /** This run's user data, extensions and log (deleted by close() unless given in the options). */
  stateDir: string;
  /** Closes Chromium, then code-server's process group; idempotent. */
  close(): Promise<void>;
}
/** Starts code-server (state in a fresh per-run dir under .vscode-test/runs/) and opens `folder` in Chromium. */
export function openWorkbench(o: {
  name: string;
  folder: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  extensionsDir?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** Use (and keep) this state dir instead of a fresh per-run one that close() deletes. */
  stateDir?: string;
  /** Source run in every frame of the page before its own scripts (addInitScript): a probe that sees the first moment. */
  initScript?: string;
  /** Workspace trust on and the folder never trusted (no prompt): the window opens in Restricted Mode. */
  restricted?: boolean;
}): Promise<Workbench>;
