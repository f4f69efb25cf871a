// Types for TypeScript callers (test/e2e) of browser.mjs.
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** test-artifacts/ in the repository: screenshots and logs worth looking at. */
export const artifactsDir: string;
/** The Chromium flags every launch uses (no sandbox as root, no GPU, no background network). */
export const CHROMIUM_ARGS: string[];
/** CHROMIUM_PATH, else the first Chromium/Chrome found in the usual places, else null. */
export function findChromium(): string | null;
export interface LaunchedChromium {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  executablePath: string;
  /** Idempotent and bounded. */
  close(): Promise<void>;
}
/** Launches headless Chromium with one page. */
export function launchChromium(o?: { headless?: boolean; viewport?: { width: number; height: number } }): Promise<LaunchedChromium>;
/** docs/screenshots/ in the repository. */
export const docsScreenshotsDir: string;
/** Copies a saved screenshot to docs/screenshots/ when CODITECT_DOCS_SCREENSHOTS=1; returns the copy's path, else null. */
export function keepForDocs(file: string | null): string | null;
/** Saves test-artifacts/<name>.png; returns its path, or null when the screenshot failed (never throws). */
export function screenshot(page: Page, name: string): Promise<string | null>;
