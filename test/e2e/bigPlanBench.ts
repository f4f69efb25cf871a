// The big-plan benchmark (#15, `npm run bench -- --workbench`): a 10,000-task plan (17,000 lines, the engine bench's
// generator) opened in the real workbench, code-server 1.100 in headless Chromium with the extension from this checkout,
// as the e2e suites open it (openFixtureWorkbench), and measured the way a person meets it, each figure beside a
// baseline taken in the same window: typing into the plan while the engine syncs it against typing into a plain copy of
// the same file (a name the extension does not take for a plan), scrolling it with lenses against lenses off, the Tasks
// tree's and the first lens's wait, the dashboard's open, and the engine's RSS. One fresh window per trial; the report
// is the medians (bigPlanReport.ts). Not a test: nothing passes or fails on time, and `npm test` never runs it.
//
// Whose time it is: each trial also measures a trivial extension that is never shipped
// (test/e2e/fixtures/baseline-extension). Before each of CODITECT's windows, a window of its own without CODITECT on
// the same plan: its CodeLens provider answers at once with a lens on each task line near the view, so text → first
// lens there is VS Code's (the workbench, the built-in markdown extension on a 17,000-line file, drawing ~100 lens
// rows). In CODITECT's window it is loaded beside CODITECT with its lenses off, and its panel is opened the way the
// dashboard is (from the palette, Beside the plan, scripts on; its page says `ready` and shows the task count), in
// alternating order with the dashboard. The report gives ours, the baseline's and ours over it; what is over 1 is ours.
//
//   node --require tsx/cjs test/e2e/bigPlanBench.ts [--repeat N] [--tasks N] [--keys N] [--json]
//
// In the page (a probe installed before the workbench loads): milestones are stamped by polling the DOM every 20 ms;
// keydown→paint is the keydown event's timeStamp to a message posted from the next animation frame, i.e. after that
// frame's rendering (the rAF + postMessage measure of input-to-next-paint); frame intervals are the differences of
// successive requestAnimationFrame timestamps.
//
// Each window also writes its timeline to test-artifacts/bigplan-trace-N.txt (and stderr): the page's marks, each change
// of the lenses in view, the page's long tasks and long frames, the bench's own steps, and the extension's stamps
// (src/extension/perfTrace.ts, through CODITECT_PERF_TRACE): the plan in its store, each CodeLens request and its
// duration, each redraw asked of VS Code, the extension host's event loop held, the dashboard's handshake; all in ms
// after the plan's text showed. CODITECT_BENCH_PROFILE=1 adds CPU profiles of the extension host (its first 60 s) and
// of the page until every mark was seen (bigplan-trace-N.cpuprofile, .page.cpuprofile). Each phase (typing, scrolling,
// the dashboard) starts once the engine is idle and the extension host has not been held for 1.5 s (extHostIdle).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { generateTaskList } from '../bench/generatePlan';
import { errorMessage } from '../../src/core/describe';
import { frameFigures, reportTable, spread, summarise, type BigPlanTrial } from './bigPlanReport';
import {
  dashboardFrame,
  editorLine,
  openFile,
  openFixtureWorkbench,
  palette,
  ROOT,
  runCommand,
  screenshot,
  statValue,
  TASKLIST,
  THEMES,
  UI_TIMEOUT,
} from './workbenchHelpers';

/** The plan (a name the extension takes for a task list) and its plain copy (one it does not: `*TASKLIST*.md`). */
const PLAN = 'BIG-TASKLIST.md';
const COPY = 'BIG-PLAIN-COPY.md';
/** What the probe stamps; `plan` is the status bar showing the loaded plan's total. */
const MARKS = ['text', 'plan', 'treeRow', 'lens', 'stateLens'] as const;
type Mark = (typeof MARKS)[number];
/** How long the dashboard may take to show the plan before the window counts it as not opened. */
const DASHBOARD_TIMEOUT = 3 * UI_TIMEOUT;
/**
 * The baseline (never shipped): a trivial CodeLens provider and webview panel, so each wait is reported beside what VS
 * Code takes for an extension that does nothing (test/e2e/fixtures/baseline-extension/extension.js).
 */
const BASELINE_EXTENSION = join(ROOT, 'test', 'e2e', 'fixtures', 'baseline-extension');
const BASELINE_PANEL = 'Bench Baseline: Open Panel';
const DASHBOARD = 'CODITECT: Open Progress Dashboard';

/** The page's probe (source, run before the workbench's scripts in the top frame only). */
function probe(total: number): string {
  return `(() => {
  if (window.top !== window) return;
  const marks = {};
  // lensLog: each change of what the lenses in view are (none, the text's "Loading", the engine's), with its count.
  const state = { marks, origin: performance.timeOrigin, lensLog: [], longTasks: [], longFrames: [], keys: [], keysOn: false, frames: [], framesOn: false };
  window.__bigPlan = state;
  const has = (sel, re) => { for (const el of document.querySelectorAll(sel)) if (re.test(el.textContent || '')) return true; return false; };
  const probes = {
    text: () => has('.editor-instance .monaco-editor .view-line', /\\*\\*T001\\.001\\*\\*/),
    plan: () => has('.part.statusbar .statusbar-item', /\\/${total}\\b/),
    treeRow: () => has('.part.sidebar .monaco-list-row[role="treeitem"]', /E001/),
    lens: () => has('.editor-instance .monaco-editor .codelens-decoration', /\\S/),
    // A lens from the engine's plan: not the text's own stand-in while the plan loads (src/extension/lensText.ts, textLens).
    stateLens: () => has('.editor-instance .monaco-editor .codelens-decoration', /^(?![\\s\\S]*oading)[\\s\\S]*\\S/),
  };
  // The page's main thread held for over 100 ms (what the workbench could not do meanwhile).
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.duration > 100) state.longTasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
  } catch {}
  let lensSeen = '';
  const timer = setInterval(() => {
    const now = performance.now();
    for (const k of Object.keys(probes)) if (!(k in marks) && probes[k]()) marks[k] = now;
    const lenses = Array.from(document.querySelectorAll('.editor-instance .monaco-editor .codelens-decoration')).map((l) => l.textContent || '').filter((t) => /\\S/.test(t));
    const seen = lenses.length === 0 ? 'none' : (lenses.some((t) => /oading/.test(t)) ? 'text' : 'state') + ' ' + lenses.length;
    if (seen !== lensSeen) state.lensLog.push([now, (lensSeen = seen)]);
    if (Object.keys(marks).length === Object.keys(probes).length || now > 600000) clearInterval(timer);
  }, 20);
  addEventListener('keydown', (e) => {
    if (!state.keysOn) return;
    const t0 = e.timeStamp;
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => state.keys.push(performance.now() - t0);
      ch.port2.postMessage(null);
    });
  }, true);
  state.startFrames = () => {
    state.frames = [];
    state.framesOn = true;
    let last;
    const tick = (t) => {
      if (last !== undefined) {
        state.frames.push(t - last);
        if (t - last > 50) state.longFrames.push([t - (t - last), t - last]);
      }
      last = t;
      if (state.framesOn) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
})();`;
}

interface ProbeState {
  marks: Partial<Record<Mark, number>>;
  /** The page's performance.timeOrigin (epoch ms): its marks + this are comparable with the extension's stamps. */
  origin: number;
  lensLog: [number, string][];
  longTasks: [number, number][];
  /** Frames over 50 ms while frames were recorded (scrolling): where each began and how long it took. */
  longFrames: [number, number][];
  keys: number[];
  keysOn: boolean;
  frames: number[];
  framesOn: boolean;
  startFrames(): void;
}
declare global {
  interface Window {
    __bigPlan: ProbeState;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const progress = (s: string): void => void process.stderr.write(`bench: workbench: ${s}\n`);

/** The engine child of this window's code-server (its process group), by its script path. */
function enginePid(serverPid: number): number {
  const script = join(ROOT, 'dist', 'engine.js');
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === serverPid && readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(script)) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no engine process (${script}) in code-server's process group ${serverPid}`);
}

/** VmRSS and VmHWM (peak) of a process, in MB, and its CPU time (user + system) in ms. */
function procFigures(pid: number): { rssMb: number; hwmMb: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, cpuMs: (ticks * 1000) / 100 };
}

/** Waits until the engine spends under 50 ms of CPU in a second (at most 60 s: a busy engine is measured as it is). */
async function engineIdle(pid: number): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const c0 = procFigures(pid).cpuMs;
    await sleep(1000);
    if (procFigures(pid).cpuMs - c0 < 50) return;
  }
}

/**
 * Waits until the extension host has not been held for over 100 ms (its 'exthost:blocked' stamps, perfTrace.ts) for
 * 1.5 s, at most 60 s: after typing into a 17,391-line file the built-in markdown extension's language server works
 * through every version of it for tens of seconds, and a phase measured meanwhile measures that. Returns how long it waited.
 */
async function extHostIdle(traceFile: string): Promise<number> {
  const t0 = Date.now();
  const lastBlock = (): number => {
    const text = existsSync(traceFile) ? readFileSync(traceFile, 'utf8') : '';
    const at = text.lastIndexOf('"exthost:blocked"');
    return at < 0 ? 0 : Number(/"at":([\d.]+)/.exec(text.slice(text.lastIndexOf('\n', at) + 1))?.[1] ?? 0);
  };
  while (Date.now() - t0 < 60_000 && Date.now() - lastBlock() < 1500) await sleep(250);
  return Date.now() - t0;
}

/** Samples the engine's RSS every 50 ms until stopped; returns the highest. */
function rssSampler(pid: number): () => number {
  let max = procFigures(pid).rssMb;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, procFigures(pid).rssMb);
    } catch {
      // the engine exited: the error shows elsewhere
    }
  }, 50);
  return () => {
    clearInterval(timer);
    return max;
  };
}

/** Types `keys` characters at the end of a task line of `file`, as a person does (bursts of 5, then a pause the engine syncs in). */
async function typeInto(page: Page, file: string, keys: number): Promise<number[]> {
  await openFile(page, file);
  const line = editorLine(page, 'T001.003');
  await line.waitFor({ timeout: UI_TIMEOUT });
  await line.click();
  await page.keyboard.press('End');
  await page.evaluate(() => {
    window.__bigPlan.keys = [];
    window.__bigPlan.keysOn = true;
  });
  for (let k = 0; k < keys; k++) {
    await page.keyboard.press('abcdefghij'[k % 10]);
    // 100 ms between keys (a brisk typist); every fifth key a pause past the editor's 300 ms debounce, so the text
    // goes to the engine and its sync runs while the next burst is typed.
    await sleep(k % 5 === 4 ? 450 : 100);
  }
  await sleep(500);
  return page.evaluate(() => {
    window.__bigPlan.keysOn = false;
    return window.__bigPlan.keys;
  });
}

/** Scrolls the plan from its top with the mouse wheel (60 notches of 200 px, 50 ms apart) and returns the frame intervals. */
async function scrollPlan(page: Page, lenses: boolean): Promise<number[]> {
  await openFile(page, PLAN);
  const editor = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await editor.click();
  await page.keyboard.press('Control+Home');
  await editorLine(page, 'T001.001').waitFor({ timeout: UI_TIMEOUT });
  const lensShown = () =>
    Array.from(document.querySelectorAll('.editor-instance .monaco-editor .codelens-decoration')).some((l) => /\S/.test(l.textContent ?? ''));
  if (lenses) await page.waitForFunction(lensShown, undefined, { timeout: UI_TIMEOUT });
  else await page.waitForFunction(`!(${lensShown.toString()})()`, undefined, { timeout: UI_TIMEOUT });
  const box = await editor.boundingBox();
  if (!box) throw new Error('the plan editor has no box to scroll');
  await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 400));
  await page.evaluate(() => window.__bigPlan.startFrames());
  for (let i = 0; i < 60; i++) {
    await page.mouse.wheel(0, 200);
    await sleep(50);
  }
  await sleep(300);
  return page.evaluate(() => {
    window.__bigPlan.framesOn = false;
    return window.__bigPlan.frames;
  });
}

/**
 * One window's timeline: the page's marks and lens changes and the bench's own dashboard stamps beside the extension's
 * stamps (src/extension/perfTrace.ts, through CODITECT_PERF_TRACE), in ms after the plan's text showed.
 */
function timeline(
  traceFile: string,
  page: { origin: number; marks: Record<string, number>; lensLog: [number, string][]; longTasks: [number, number][]; longFrames: [number, number][] },
  bench: [number, string][],
): string {
  const rows: [number, string][] = [];
  for (const [k, v] of Object.entries(page.marks)) rows.push([page.origin + v, `page: ${k}`]);
  for (const [t, what] of page.lensLog) rows.push([page.origin + t, `page: lenses ${what}`]);
  for (const [t, ms] of page.longTasks) rows.push([page.origin + t, `page: main thread busy ${ms.toFixed(0)} ms`]);
  for (const [t, ms] of page.longFrames) rows.push([page.origin + t, `page: frame of ${ms.toFixed(0)} ms`]);
  rows.push(...bench.map(([t, what]): [number, string] => [t, `bench: ${what}`]));
  if (existsSync(traceFile)) {
    for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
      if (!line) continue;
      const { at, what, ...rest } = JSON.parse(line) as { at: number; what: string; since?: number };
      // A blocked stretch is placed where it began.
      if (rest.since !== undefined) {
        rows.push([rest.since, `ext: ${what} ${JSON.stringify({ ms: (rest as { ms?: number }).ms })}`]);
        continue;
      }
      rows.push([at, `ext: ${what}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}`]);
    }
  }
  const zero = page.origin + (page.marks.text ?? 0);
  return rows
    .sort((a, b) => a[0] - b[0])
    .map(([t, what]) => `${(t - zero).toFixed(0).padStart(8)} ms  ${what}`)
    .join('\n');
}

/**
 * Opens a panel by its palette title as a person does and returns the ms from the click to its page showing the plan's
 * task count and a first task row (null: not within DASHBOARD_TIMEOUT); then closes it, so the next opens the same way.
 */
async function openPanel(page: Page, n: number, title: string, tasks: number, benchStamps: [number, string][]): Promise<number | null> {
  const row = await palette(page, `>${title}`, new RegExp(`^${title}$`));
  const clickedAt = Date.now();
  benchStamps.push([clickedAt, `${title}: row clicked`]);
  await row.click();
  let ms: number | null;
  try {
    const shownAt = await shownInPage(page, tasks, clickedAt + DASHBOARD_TIMEOUT);
    ms = shownAt - clickedAt;
    benchStamps.push([shownAt, `${title}: total and first row shown (the page's clock)`]);
    // What a person sees, through the workbench's frames as the e2e suites look (a check that the page is the panel's).
    const frame = dashboardFrame(page);
    await statValue(frame, 'total')
      .filter({ hasText: new RegExp(`^\\s*${tasks}\\s*$`) })
      .waitFor({ timeout: UI_TIMEOUT });
    await frame.locator('.task-list > li.task-row').first().waitFor({ timeout: UI_TIMEOUT });
    benchStamps.push(...(await webviewMarks(page, title)));
  } catch (e) {
    ms = null;
    progress(`window ${n}: ${title} did not show the plan within ${DASHBOARD_TIMEOUT / 1000} s (${errorMessage(e).split('\n')[0]})`);
    await screenshot(page, `bigplan-panel-${n}`);
  }
  await runCommand(page, 'View: Close Editor');
  await page.locator('iframe.webview').waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  return ms;
}

/**
 * When (epoch ms, the page's clock) the panel's page first had the plan's total and a first task row, looked for in
 * every animation frame of the page itself, i.e. the frame that paints them; when they were there at the first look,
 * the page's own `coditect:plan-painted` mark (both pages set it: the frame after the first plan was drawn).
 * Playwright's own polling of a locator backs off to 500 ms between looks: it added up to half a second to a panel
 * already drawn (both panels alike).
 */
async function shownInPage(page: Page, tasks: number, deadline: number): Promise<number> {
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('the page never showed the total and a first task row');
    try {
      const outer = await (await page.waitForSelector('iframe.webview.ready', { state: 'attached', timeout: left }))?.contentFrame();
      const inner = await (await outer?.waitForSelector('#active-frame', { state: 'attached', timeout: left }))?.contentFrame();
      if (!inner) continue;
      const shown = await inner.waitForFunction(
        (total) => {
          const page = window as unknown as { __benchLooked?: boolean };
          const firstLook = page.__benchLooked !== true;
          page.__benchLooked = true;
          const t = document.querySelector('[data-stat="total"] .stat-value');
          const ok = t !== null && (t.textContent ?? '').trim() === String(total) && document.querySelector('.task-list > li.task-row') !== null;
          if (!ok) return false;
          // Shown before this frame was first looked at (finding the page's frame takes the bench a while): the page's
          // own mark of the frame after its first plan was drawn says when.
          const painted = performance.getEntriesByName('coditect:plan-painted')[0];
          return performance.timeOrigin + (firstLook && painted ? painted.startTime : performance.now());
        },
        tasks,
        { polling: 'raf', timeout: Math.max(1, deadline - Date.now()) },
      );
      return (await shown.jsonValue()) as number;
    } catch (e) {
      // The webview swaps its page frame while it loads (pending → active): look again in the one that replaced it.
      if (/detached|destroyed|navigat/i.test(errorMessage(e)) && Date.now() < deadline) continue;
      throw e;
    }
  }
}

/**
 * When the panel's two frames began (the webview's host frame, then its page) and the page's own marks
 * (webview-ui/main.ts: script run, ready posted, first plan received, drawn, the frame after painted), for the timeline.
 */
async function webviewMarks(page: Page, title: string): Promise<[number, string][]> {
  try {
    const outer = await (await page.$('iframe.webview.ready'))?.contentFrame();
    const inner = await (await outer?.$('#active-frame'))?.contentFrame();
    if (!outer || !inner) return [];
    const hostOrigin = await outer.evaluate(() => performance.timeOrigin);
    const { origin, marks } = await inner.evaluate(() => ({
      origin: performance.timeOrigin,
      marks: performance.getEntriesByType('mark').map((m): [number, string] => [m.startTime, m.name]),
    }));
    return [
      [hostOrigin, `${title}: webview host frame starts`],
      [origin, `${title}: page frame starts`],
      ...marks.map(([t, name]): [number, string] => [origin + t, `${title}: page ${name}`]),
    ];
  } catch (e) {
    return [[Date.now(), `${title}: page marks unreadable (${errorMessage(e).split('\n')[0]})`]];
  }
}

/**
 * The baseline's lens (a window of its own, without CODITECT): the same plan opened at start-up, a provider that
 * answers at once with a lens on each task line near the view. Returns the ms from the text to the first lens.
 */
async function baselineLens(n: number, o: { tasks: number; planText: string }): Promise<number> {
  // Its stamps (the lens requests, the extension host held) go to a timeline of their own, as CODITECT's do.
  const traceFile = join(ROOT, 'test-artifacts', `bigplan-baseline-trace-${n}.jsonl`);
  mkdirSync(dirname(traceFile), { recursive: true });
  rmSync(traceFile, { force: true });
  process.env.CODITECT_PERF_TRACE = traceFile;
  process.env.CODITECT_BASELINE_LENS = '1';
  try {
    const { wb, folder } = await openFixtureWorkbench(
      `bigplan-baseline-${n}`,
      THEMES[1],
      (dir) => {
        rmSync(join(dir, TASKLIST));
        writeFileSync(join(dir, PLAN), o.planText);
        writeFileSync(join(dir, COPY), o.planText);
      },
      probe(o.tasks),
      { install: [BASELINE_EXTENSION], coditect: false },
    );
    try {
      await wb.page.waitForFunction(() => 'text' in window.__bigPlan.marks && 'lens' in window.__bigPlan.marks, undefined, { timeout: 5 * UI_TIMEOUT });
      const marks = (await wb.page.evaluate(() => window.__bigPlan.marks)) as Record<Mark, number>;
      progress(`window ${n} (baseline): text ${marks.text.toFixed(0)} ms, lens ${marks.lens.toFixed(0)} after navigation`);
      const probed = await wb.page.evaluate(() => ({
        origin: window.__bigPlan.origin,
        marks: window.__bigPlan.marks as Record<string, number>,
        lensLog: window.__bigPlan.lensLog,
        longTasks: window.__bigPlan.longTasks,
        longFrames: window.__bigPlan.longFrames,
      }));
      const lines = timeline(traceFile, probed, []);
      writeFileSync(traceFile.replace(/\.jsonl$/, '.txt'), `${lines}\n`);
      progress(`window ${n} (baseline): timeline (ms after the text showed; also in ${traceFile.replace(/\.jsonl$/, '.txt')}):\n${lines}`);
      return Math.max(0, marks.lens - marks.text);
    } catch (e) {
      await screenshot(wb.page, `bigplan-baseline-failure-${n}`);
      throw e;
    } finally {
      await wb.close();
      rmSync(folder, { recursive: true, force: true });
    }
  } finally {
    delete process.env.CODITECT_BASELINE_LENS;
    delete process.env.CODITECT_PERF_TRACE;
  }
}

async function trial(n: number, o: { tasks: number; keys: number; planText: string; baselineLensMs: number; panelParity: number }): Promise<BigPlanTrial> {
  const loadStart = loadavg()[0];
  // The extension's stamps (code-server passes this process's environment on to its extension host).
  const traceFile = join(ROOT, 'test-artifacts', `bigplan-trace-${n}.jsonl`);
  mkdirSync(dirname(traceFile), { recursive: true });
  rmSync(traceFile, { force: true });
  process.env.CODITECT_PERF_TRACE = traceFile;
  // CODITECT_BENCH_PROFILE=1: a CPU profile of the extension host too (src/extension/perfTrace.ts), for a look at where its time goes.
  if (process.env.CODITECT_BENCH_PROFILE === '1') {
    process.env.CODITECT_PERF_PROFILE = traceFile.replace(/\.jsonl$/, '.cpuprofile');
    rmSync(process.env.CODITECT_PERF_PROFILE, { force: true });
  }
  const benchStamps: [number, string][] = [];
  const { wb, folder } = await openFixtureWorkbench(
    `bigplan-${n}`,
    THEMES[1],
    (dir) => {
      rmSync(join(dir, TASKLIST));
      writeFileSync(join(dir, PLAN), o.planText);
      writeFileSync(join(dir, COPY), o.planText);
    },
    probe(o.tasks),
    // The baseline extension too, for its panel (its lens provider is on only in its own window).
    { install: [BASELINE_EXTENSION] },
  );
  try {
    const page = wb.page;
    // CODITECT_BENCH_PROFILE=1: the workbench page's main thread profiled too, until every mark was seen and 3 s more.
    const cdp = process.env.CODITECT_BENCH_PROFILE === '1' ? await page.context().newCDPSession(page) : undefined;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
      await cdp.send('Profiler.start');
      benchStamps.push([Date.now(), 'page profiling']);
    }
    try {
      await page.waitForFunction((marks) => marks.every((k) => k in window.__bigPlan.marks), [...MARKS], { timeout: 5 * UI_TIMEOUT });
      if (cdp) {
        await sleep(3000);
        const { profile } = await cdp.send('Profiler.stop');
        benchStamps.push([Date.now(), 'page profiled']);
        writeFileSync(traceFile.replace(/\.jsonl$/, '.page.cpuprofile'), JSON.stringify(profile));
        await cdp.detach();
      }
    } catch (e) {
      const seen = await page.evaluate(() => window.__bigPlan.marks).catch(() => ({}));
      throw new Error(`the window never showed all of ${MARKS.join(', ')}; it showed ${JSON.stringify(seen)} (${errorMessage(e).split('\n')[0]})`, {
        cause: e,
      });
    }
    const marks = (await page.evaluate(() => window.__bigPlan.marks)) as Record<Mark, number>;
    const engine = enginePid(wb.server.pid!);
    const loadedMb = procFigures(engine).rssMb;
    if (n === 1) await screenshot(page, 'bigplan-loaded');
    progress(
      `window ${n}: text ${marks.text.toFixed(0)} ms, plan ${marks.plan.toFixed(0)}, tree row ${marks.treeRow.toFixed(0)}, lens ${marks.lens.toFixed(0)}, state lens ${marks.stateLens.toFixed(0)} after navigation`,
    );

    // Typing: the plan and its plain copy, in alternating order across windows.
    const typed: Record<string, number[]> = {};
    let peakDuringSyncsMb = 0;
    const engineCpu: Record<string, number> = {};
    for (const file of n % 2 ? [PLAN, COPY] : [COPY, PLAN]) {
      // The engine's own work after the load (or the last typing) is over: what it does now is what the typing asks.
      await engineIdle(engine);
      benchStamps.push([Date.now(), `extension host idle after ${await extHostIdle(traceFile)} ms`]);
      const cpu0 = procFigures(engine).cpuMs;
      const stop = file === PLAN ? rssSampler(engine) : undefined;
      benchStamps.push([Date.now(), `typing into ${file}`]);
      typed[file] = await typeInto(page, file, o.keys);
      engineCpu[file] = procFigures(engine).cpuMs - cpu0;
      if (stop) peakDuringSyncsMb = stop();
    }

    // Scrolling: lenses on and off (the setting, through its command), in alternating order.
    const frames: Record<string, number[]> = {};
    let lensesOn = true; // coditect.codeLens.enabled's default
    for (const lenses of n % 2 ? [true, false] : [false, true]) {
      if (lensesOn !== lenses) {
        await runCommand(page, 'CODITECT: Toggle CodeLens on Task Lines');
        lensesOn = lenses;
      }
      benchStamps.push([Date.now(), `extension host idle after ${await extHostIdle(traceFile)} ms`]);
      benchStamps.push([Date.now(), `scrolling, lenses ${lenses ? 'on' : 'off'}`]);
      frames[String(lenses)] = await scrollPlan(page, lenses);
      benchStamps.push([Date.now(), 'scrolled']);
    }

    // The dashboard and the baseline's trivial panel, from the palette, each closed after (so both open Beside the
    // plan into the same layout), in alternating order from a random first one (a one-window run would otherwise
    // always open the same one second, after the other's close). A window where one never shows the plan is counted,
    // not fatal.
    const opened: Record<string, number | null> = {};
    const order = (n + o.panelParity) % 2 ? [DASHBOARD, BASELINE_PANEL] : [BASELINE_PANEL, DASHBOARD];
    benchStamps.push([Date.now(), `panels in this order: ${order.join(', ')}`]);
    for (const title of order) {
      benchStamps.push([Date.now(), `extension host idle after ${await extHostIdle(traceFile)} ms`]);
      opened[title] = await openPanel(page, n, title, o.tasks, benchStamps);
    }
    const dashboardOpenMs = opened[DASHBOARD];

    const end = procFigures(engine);
    const probed = await page.evaluate(() => ({
      origin: window.__bigPlan.origin,
      marks: window.__bigPlan.marks as Record<string, number>,
      lensLog: window.__bigPlan.lensLog,
      longTasks: window.__bigPlan.longTasks,
      longFrames: window.__bigPlan.longFrames,
    }));
    const lines = timeline(traceFile, probed, benchStamps);
    writeFileSync(traceFile.replace(/\.jsonl$/, '.txt'), `${lines}\n`);
    progress(`window ${n}: timeline (ms after the text showed; also in ${traceFile.replace(/\.jsonl$/, '.txt')}):\n${lines}`);
    return {
      load: [loadStart, loadavg()[0]],
      typing: { tasklist: spread(typed[PLAN]), plainCopy: spread(typed[COPY]), engineCpuMs: engineCpu[PLAN], engineCpuPlainMs: engineCpu[COPY] },
      scrolling: { lensesOn: frameFigures(frames.true), lensesOff: frameFigures(frames.false) },
      treeFirstRowMs: Math.max(0, marks.treeRow - marks.plan),
      treeFirstRowAfterTextMs: Math.max(0, marks.treeRow - marks.text),
      dashboardOpenMs,
      firstLensAfterTextMs: Math.max(0, marks.lens - marks.text),
      firstLensAfterPlanMs: Math.max(0, marks.lens - marks.plan),
      firstStateLensAfterTextMs: Math.max(0, marks.stateLens - marks.text),
      engineRss: { loadedMb, peakDuringSyncsMb: Math.max(peakDuringSyncsMb, end.rssMb), lifetimePeakMb: end.hwmMb },
      baseline: { firstLensAfterTextMs: o.baselineLensMs, panelOpenMs: opened[BASELINE_PANEL], dashboardFirst: order[0] === DASHBOARD },
    };
  } catch (e) {
    await screenshot(wb.page, `bigplan-failure-${n}`);
    if (existsSync(wb.logFile)) process.stderr.write(`code-server log: ${wb.logFile}\n${readFileSync(wb.logFile, 'utf8').split('\n').slice(-20).join('\n')}\n`);
    throw e;
  } finally {
    await wb.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: 'boolean', default: false },
      tasks: { type: 'string', default: '10000' },
      repeat: { type: 'string', default: '3' },
      keys: { type: 'string', default: '40' },
    },
  });
  const tasks = Number(values.tasks);
  const repeat = Number(values.repeat);
  const keys = Number(values.keys);
  for (const [flag, v] of [
    ['--tasks', tasks],
    ['--repeat', repeat],
    ['--keys', keys],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`bench: ${flag} expects a positive integer, got '${String(v)}'`);
  }
  // No API key reaches the engine (code-server passes this environment on): agents are dry-run, and none runs.
  delete process.env.ANTHROPIC_API_KEY;
  // What the baseline's panel shows (it reads no plan: that would be work of its own).
  process.env.CODITECT_BASELINE_TOTAL = String(tasks);
  const planText = generateTaskList({ tasks }).text;
  const trials: BigPlanTrial[] = [];
  const panelParity = Math.random() < 0.5 ? 0 : 1;
  for (let n = 1; n <= repeat; n++) {
    progress(`window ${n}/${repeat} (load ${loadavg()[0].toFixed(1)}): the baseline's lens in a window without CODITECT…`);
    const baselineLensMs = await baselineLens(n, { tasks, planText });
    progress(`window ${n}/${repeat} (load ${loadavg()[0].toFixed(1)})…`);
    const t = await trial(n, { tasks, keys, planText, baselineLensMs, panelParity });
    progress(`window ${n}: ${JSON.stringify(t)}`);
    trials.push(t);
  }
  const report = summarise(trials, {
    tasks,
    lines: planText.split('\n').length,
    cpus: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${reportTable(report)}\n`);
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
