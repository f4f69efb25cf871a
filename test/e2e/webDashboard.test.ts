// The web dashboard the daemon serves, in Debian's Chromium: a real daemon (`coditect daemon start --http`), real
// HTTP, the real page (the editor's webview bundle with webHost.js as its host adapter). The page gets the whole plan,
// then live increments while the plan runs; its Pause/Resume buttons steer the daemon; its CSP holds with nothing
// blocked; the token leaves the address bar. Run: npx mocha test/e2e/webDashboard.test.ts
// Screenshots: test-artifacts/web-dashboard-*.png; the running plan in the light and the dark scheme
// (web-dashboard-running-{light,dark}.png) are copied to docs/screenshots/ with CODITECT_DOCS_SCREENSHOTS=1.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { StatusResponse } from '../../src/protocol/httpApi';
import { generateTaskList } from '../bench/generatePlan';
import { removeWorkspace, runCli, tempWorkspace } from '../process/cli/cliHarness';
import { http } from '../process/server/httpKit';

// The harness's ES module (keepForDocs); this file is compiled as CommonJS, so it is loaded with import().
type BrowserHelpers = typeof import('../../scripts/vscodeTest/browser.mjs', { with: { 'resolution-mode': 'import' } });
const browserHelpers = import('../../scripts/vscodeTest/browser.mjs') as Promise<BrowserHelpers>;

const ROOT = resolve(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const TASKS = 16;

// Two agents at a time, each simulated task 0.4-1.2 s: the plan runs for a few seconds, long enough to watch and steer.
const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: { minMs: 400, maxMs: 1200 } } },
  max_concurrent_agents: 2,
  shutdown_grace_ms: 500,
};

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();
const completed = async (page: Page): Promise<number> => Number(await text(page, '[data-stat="completed"] .stat-value'));

describe('web dashboard served by the daemon, in Chromium (e2e)', function () {
  this.timeout(180_000);
  let browser: Browser;
  let dir: string;
  let base: string;
  let token: string;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
    const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const { text: plan } = generateTaskList({ tasks: TASKS, tasksPerFeature: 4, featuresPerEpic: 2, seed: 9, chainProbability: 0.3 });
    dir = tempWorkspace({ 'PLAN-TASKLIST.md': plan, 'config.json': JSON.stringify(CONFIG) });
    const start = await runCli(
      ['daemon', 'start', 'PLAN-TASKLIST.md', '--config', 'config.json', '--metrics-port', '0', '--http', '127.0.0.1:0', '--json'],
      dir,
    );
    assert.equal(start.code, 0, start.stderr);
    base = (JSON.parse(start.stdout) as { http: string }).http;
    token = readFileSync(join(dir, '.coditect/http-token'), 'utf8').trim();
    // Held until the page is up (at most the two running tasks finish meanwhile): the page's own Resume starts the run.
    const paused = await http(`${base}/api/control/pause`, { method: 'POST', token });
    assert.equal(paused.status, 200, paused.body);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    if (dir) {
      await runCli(['daemon', 'stop', 'PLAN-TASKLIST.md'], dir);
      removeWorkspace(dir);
    }
  });

  /**
   * A fresh page that records CSP violations and script errors from before the page's own scripts run. The page takes
   * its theme from the browser's preference, `scheme`.
   */
  async function openPage(url: string, scheme: 'light' | 'dark' = 'dark'): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`error: ${e.message}`));
    await page.exposeFunction('__cspViolation', (v: string) => problems.push(`csp: ${v}`));
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { __cspViolation: (v: string) => void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`),
      ),
    );
    await page.goto(url);
    return { page, problems };
  }

  it('shows the whole plan, then live progress; Pause and Resume steer the daemon', async () => {
    const { page, problems } = await openPage(`${base}/#token=${token}`);
    // A second page in the light scheme watches the same run: the pictures show both themes at one moment.
    const { page: light, problems: lightProblems } = await openPage(`${base}/#token=${token}`, 'light');
    try {
      await page.locator('body.vscode-dark').waitFor();
      await light.locator('body.vscode-light').waitFor();
      await page.locator('.task-list > li.task-row').first().waitFor();
      await page.locator('.state-pill', { hasText: 'Paused' }).waitFor();
      assert.equal(await text(page, '[data-stat="total"] .stat-value'), String(TASKS));
      assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('coditect.token')), token, 'and stays with the tab');
      assert.match(await text(page, '.banner-simulated'), /^SIMULATED \(dry-run\)/);

      // The page's Resume goes to the daemon (POST /api/control/resume); increments arrive while the plan runs: the
      // completed count moves without a reload.
      const first = await completed(page);
      await page.click('.controls [data-command="coditect.resume"]');
      await page.waitForFunction((n) => Number(document.querySelector('[data-stat="completed"] .stat-value')?.textContent ?? '0') > n, first, {
        timeout: 60_000,
      });
      // The light page got the same increments without being touched.
      await light.waitForFunction((n) => Number(document.querySelector('[data-stat="completed"] .stat-value')?.textContent ?? '0') > n, first, {
        timeout: 60_000,
      });
      for (const [p, scheme] of [
        [page, 'dark'],
        [light, 'light'],
      ] as const) {
        const file = join(ARTIFACTS, `web-dashboard-running-${scheme}.png`);
        await p.screenshot({ path: file, fullPage: true });
        assert.ok(statSync(file).size > 20_000, `${file} looks empty`);
        (await browserHelpers).keepForDocs(file);
      }

      // Pause from the page: the daemon pauses, and its state comes back on the stream.
      await page.click('.controls [data-command="coditect.pause"]');
      await page.locator('.state-pill', { hasText: 'Paused' }).waitFor({ timeout: 30_000 });
      const status = (await http(`${base}/api/status`, { token })).json<StatusResponse>();
      assert.equal(status.state, 'paused', 'the daemon itself is paused');
      await page.click('.controls [data-command="coditect.resume"]');
      await page.locator('.state-pill', { hasText: /Running|Idle|Stalled/ }).waitFor({ timeout: 30_000 });

      await page.locator('.overall-pct', { hasText: '100%' }).waitFor({ timeout: 120_000 });
      assert.equal(await completed(page), TASKS);
      const done = (await http(`${base}/api/status`, { token })).json<StatusResponse>();
      assert.equal(done.completed, TASKS, 'the page and the API agree');
      await page.screenshot({ path: join(ARTIFACTS, 'web-dashboard-done.png'), fullPage: true });
      assert.deepEqual(problems, [], 'no CSP violation, no script error');
      assert.deepEqual(lightProblems, [], 'no CSP violation, no script error in the light page');
    } finally {
      await page.close();
      await light.close();
    }
  });

  it('without a token the page says how to open it, and shows no plan', async () => {
    const { page, problems } = await openPage(`${base}/`);
    try {
      await page.locator('.notice, [role="alert"]').first().waitFor({ timeout: 30_000 });
      assert.match(
        await page.locator('#app').innerText(),
        /needs the daemon's token: open it as http:\/\/127\.0\.0\.1:\d+\/#token=<contents of \.coditect\/http-token>/,
      );
      assert.equal(await page.locator('.task-list > li.task-row').count(), 0);
      await page.screenshot({ path: join(ARTIFACTS, 'web-dashboard-no-token.png') });
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  });

  it('a wrong token is refused and forgotten', async () => {
    const { page } = await openPage(`${base}/#token=${'x'.repeat(43)}`);
    try {
      await page.locator('#app', { hasText: 'The daemon refused the token' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.evaluate(() => sessionStorage.getItem('coditect.token')), null);
    } finally {
      await page.close();
    }
  });
});
