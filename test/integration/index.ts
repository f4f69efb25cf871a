// Mocha runner loaded by VS Code's extension host through `--extensionTestsPath` (desktop) or the
// `extensionTestsPath` payload entry (code-server). esbuild bundles it to out/test/index.js and every
// test/integration/suite/*.test.ts to out/test/suite/*.test.js, which this runner loads in name order;
// `vscode` and `mocha` stay external and resolve at run time (mocha from the repo's node_modules).
//
// The launcher cannot see the extension host's console when the host is remote (code-server), so the run is
// also reported as JSON to the file named by CODITECT_TEST_RESULTS (the host inherits the launcher's
// environment through code-server). The write is atomic (temp file + rename): once the file exists it is whole.
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** One test's outcome as written to the results file. */
export interface TestOutcome {
  fullTitle: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

/** Shape of the results file the launchers read (scripts/vscodeTest/*.mjs). */
export interface RunResults {
  ok: boolean;
  passes: number;
  failures: number;
  pending: number;
  tests: TestOutcome[];
  /** The spec reporter's text, uncoloured, so the launcher can print what a local run would show. */
  output: string;
  /** Set when the run could not start (a suite threw while loading). */
  error?: string;
  host: { vscodeVersion: string; appName: string; uiKind: string; remoteName: string | null; node: string };
  startedAt: string;
  finishedAt: string;
}

/** Entry point VS Code calls; rejects when any test fails so desktop VS Code exits non-zero. */
export async function run(): Promise<void> {
  const startedAt = new Date().toISOString();
  const lines: string[] = [];
  const tests: TestOutcome[] = [];
  const counts = { passes: 0, failures: 0, pending: 0 };

  // Capture the spec reporter's output; it writes through Base.consoleLog.
  const base = Mocha.reporters.Base;
  const originalLog = base.consoleLog;
  base.consoleLog = (...data: unknown[]) => {
    lines.push(format(...data));
    originalLog(...data);
  };

  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: Number(process.env.CODITECT_TEST_TIMEOUT_MS) || 20_000,
    grep: process.env.CODITECT_TEST_GREP || undefined,
  });

  let error: string | undefined;
  try {
    const files = suiteFiles();
    if (files.length === 0) throw new Error(`no *.test.js in ${join(__dirname, 'suite')}: run \`npm run build\``);
    for (const f of files) mocha.addFile(f);
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (t) => {
        counts.passes++;
        tests.push({ fullTitle: t.fullTitle(), state: 'passed', durationMs: t.duration });
      });
      runner.on('fail', (t, err: Error) => {
        counts.failures++;
        tests.push({ fullTitle: t.fullTitle(), state: 'failed', durationMs: t.duration, error: String(err?.stack ?? err) });
      });
      runner.on('pending', (t) => {
        counts.pending++;
        tests.push({ fullTitle: t.fullTitle(), state: 'pending' });
      });
    });
  } catch (e) {
    error = `the integration suites could not run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    lines.push(error);
  } finally {
    base.consoleLog = originalLog;
  }

  const ok = !error && counts.failures === 0 && counts.passes > 0;
  const results: RunResults = {
    ok,
    ...counts,
    tests,
    output: lines.join('\n'),
    ...(error ? { error } : {}),
    host: {
      vscodeVersion: vscode.version,
      appName: vscode.env.appName,
      uiKind: vscode.UIKind[vscode.env.uiKind],
      remoteName: vscode.env.remoteName ?? null,
      node: process.version,
    },
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  writeResults(results);

  if (error) throw new Error(error);
  if (counts.failures > 0) throw new Error(`${counts.failures} integration test(s) failed`);
  if (counts.passes === 0) throw new Error('no integration test ran (check CODITECT_TEST_GREP and out/test/suite/)');
}

/** The bundled suites beside this file (out/test/suite/*.test.js), smoke first, then by name. */
function suiteFiles(): string[] {
  const dir = join(__dirname, 'suite');
  const names = readdirSync(dir).filter((n) => n.endsWith('.test.js'));
  // The smoke suite says whether the host works at all; when it fails, the rest's failures are noise.
  const rank = (n: string) => (n === 'smoke.test.js' ? 0 : 1);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((n) => join(dir, n));
}

function writeResults(results: RunResults): void {
  const file = process.env.CODITECT_TEST_RESULTS;
  if (!file) return; // run by hand from VS Code's debugger: the console is enough
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(results, null, 2));
  renameSync(tmp, file); // MUST stay the last step: the launcher treats the file's existence as "run finished"
}
