import { strict as assert } from 'node:assert';
import { frameFigures, reportTable, spread, summarise, type BigPlanTrial } from '../../e2e/bigPlanReport';

// The big-plan workbench bench's arithmetic and report shape (`npm run bench -- --workbench`); the bench itself drives
// code-server and Chromium for minutes, so it never runs in `npm test` — only what it computes from its readings does.
describe('big-plan workbench bench report', () => {
  const trial = (scale: number, o: Partial<BigPlanTrial> = {}): BigPlanTrial => ({
    load: [2 * scale, 3 * scale],
    typing: {
      tasklist: spread([20, 40, 60, 80, 100].map((x) => x * scale)),
      plainCopy: spread([10, 20, 30, 40, 50].map((x) => x * scale)),
      engineCpuMs: 100 * scale,
      engineCpuPlainMs: 0,
    },
    scrolling: { lensesOn: frameFigures([16, 16, 17, 60 * scale]), lensesOff: frameFigures([16, 16, 16, 20]) },
    treeFirstRowMs: 100 * scale,
    treeFirstRowAfterTextMs: 900 * scale,
    dashboardOpenMs: 500 * scale,
    firstLensAfterTextMs: 1000 * scale,
    firstLensAfterPlanMs: 200 * scale,
    firstStateLensAfterTextMs: 1100 * scale,
    engineRss: { loadedMb: 150, peakDuringSyncsMb: 200 * scale, lifetimePeakMb: 250 * scale },
    baseline: { firstLensAfterTextMs: 800, panelOpenMs: 250 * scale, dashboardFirst: scale === 1 },
    ...o,
  });
  const meta = { tasks: 10000, lines: 17000, cpus: 2, node: 'v20', platform: 'linux-x64', date: '2026-12-03 11:00 UTC' };

  it('reads latencies as nearest-rank p50 / p90 / max and frame intervals as p95 and a count over 50 ms', () => {
    assert.deepEqual(spread([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]), { p50: 5, p90: 9, max: 10, n: 10 });
    assert.deepEqual(frameFigures([16, 17, 51, 50, 16]), { p95Ms: 51, over50: 1, frames: 5 });
  });

  it('reports medians over the windows and each ratio as the median of the per-window ratios', () => {
    const r = summarise([trial(1), trial(3), trial(2)], meta);
    assert.equal(r.repeat, 3);
    assert.deepEqual(r.typing.tasklist, { p50: 120, p90: 200, max: 200, n: 5 });
    assert.deepEqual(r.typing.plainCopy, { p50: 60, p90: 100, max: 100, n: 5 });
    assert.deepEqual(r.typing.ratio, { p50: 2, p90: 2, max: 2 });
    assert.equal(r.scrolling.lensesOn.over50, 1);
    assert.equal(r.treeFirstRowMs, 200);
    assert.equal(r.dashboardOpenMs, 1000);
    assert.equal(r.dashboardNotOpened, 0);
    assert.deepEqual(r.engineRss, { loadedMb: 150, peakDuringSyncsMb: 400, lifetimePeakMb: 500 });
    assert.deepEqual([r.machine.loadMin, r.machine.loadMax], [2, 9]);
    assert.equal(r.trials.length, 3);
  });

  it('counts windows whose dashboard never showed the plan apart, and the table says which targets are not met', () => {
    const r = summarise([trial(1), trial(1, { dashboardOpenMs: null })], meta);
    assert.equal(r.dashboardNotOpened, 1);
    assert.equal(r.dashboardOpenMs, 500);
    const table = reportTable(r);
    assert.match(table, /dashboard open .* 500 ms \(1 of 2 windows never showed the plan\) .* \*\*not met\*\*/);
    assert.match(
      table,
      /keydown→paint p50 \/ p90 \/ max \| 60 \/ 100 \/ 100 ms \| plain copy 30 \/ 50 \/ 50 ms \| 2 \/ 2 \/ 2 \(p50 per window 2–2\) \| ≤ 1\.5× — \*\*not met\*\*/,
    );
    assert.match(table, /tree to first row .* \| 100 \/ 900 ms \| \| \| < 1 s — met \|/);
  });

  it('calls the typing target met only when every window was within 1.5× of its plain copy, not the median alone', () => {
    const within = trial(1, { typing: { tasklist: spread([12, 12]), plainCopy: spread([10, 10]), engineCpuMs: 0, engineCpuPlainMs: 0 } });
    const over = trial(1, { typing: { tasklist: spread([30, 30]), plainCopy: spread([10, 10]), engineCpuMs: 0, engineCpuPlainMs: 0 } });
    assert.match(reportTable(summarise([within, within, over], meta)), /\(p50 per window 1\.2–3\) \| ≤ 1\.5× — \*\*not met\*\*/);
    assert.match(reportTable(summarise([within, within], meta)), /\(p50 per window 1\.2–1\.2\) \| ≤ 1\.5× — met/);
  });

  it("reports the trivial extension's lens and panel beside ours, with ours over them as the median of per-window ratios", () => {
    // Lens ratios per window 1000/800, 3000/800, 2000/800 → median 2.5; panel 2 in every window, except one never opened.
    const r = summarise([trial(1), trial(3), trial(2, { baseline: { firstLensAfterTextMs: 800, panelOpenMs: null } })], meta);
    assert.deepEqual(r.baseline, { firstLensAfterTextMs: 800, panelOpenMs: 500, firstLensRatio: 2.5, dashboardRatio: 2 });
    const table = reportTable(r);
    assert.match(table, /dashboard open .* \| trivial webview panel opened the same way 500 ms \(the dashboard first in 1 of 3 windows\) \| 2 \| < 1 s/);
    assert.match(table, /first lens after the text .* \| trivial lens provider, no CODITECT, own window 800 ms \| 2\.5 \| < 500 ms/);
  });

  it('refuses to summarise no windows', () => {
    assert.throws(() => summarise([], meta), /no trials/);
  });
});
