import * as assert from 'node:assert/strict';
import { kpiRows } from '../../../src/protocol/presentation';
import { metricsOf } from '../../../src/protocol/webviewProtocol';
import { limitNotes, providerPauseText } from '../../../webview-ui/panels/banners';
import { budgetText, totalText } from '../../../webview-ui/panels/spend';
import { fixtureSnapshot, spendTotal } from './dashboardFixture';

describe('dashboard: KPIs, spend and limits in words', () => {
  it('lists the plan KPIs with their targets, rounding down, and – with nothing to divide', () => {
    const rows = kpiRows({
      autonomyRate: 0.9666,
      successRate: 0.75,
      tasksPerHour: 12.4,
      uptimeRatio: 0.9995,
      windowSeconds: 7 * 86_400,
      dispatchLatencyP50Seconds: 0.4,
      dispatchLatencyP95Seconds: 1.2,
      dispatchSamples: 40,
    });
    assert.deepEqual(
      rows.map((r) => [r.key, r.value, r.target, r.met]),
      [
        ['autonomyRate', '96%', 'target 95%', true],
        ['dispatchLatencyP95Seconds', '1.2s', 'target < 5s', true],
        ['tasksPerHour', '12', 'target 10', true],
        ['successRate', '75%', 'target 95%', false],
        // 99.95% is not 100.0%, and meets 99.9%.
        ['uptimeRatio', '99.9%', 'target 99.9%', true],
      ],
    );
    assert.equal(rows[4].label, 'Uptime (7 days)');
    const none = kpiRows({
      autonomyRate: null,
      successRate: null,
      tasksPerHour: null,
      uptimeRatio: null,
      windowSeconds: 3600,
      dispatchLatencyP50Seconds: null,
      dispatchLatencyP95Seconds: null,
      dispatchSamples: 0,
    });
    assert.deepEqual(
      none.map((r) => [r.value, r.met]),
      [
        ['–', null],
        ['–', null],
        ['–', null],
        ['–', null],
        ['–', null],
      ],
    );
    const full = kpiRows({
      autonomyRate: 1,
      successRate: 1,
      tasksPerHour: 10,
      uptimeRatio: 1,
      windowSeconds: 60,
      dispatchLatencyP50Seconds: 6,
      dispatchLatencyP95Seconds: 6,
      dispatchSamples: 1,
    });
    assert.equal(full[4].value, '100%');
    assert.equal(full[1].met, false, 'a 6 s dispatch misses the < 5 s target');
  });

  it('writes spend totals and budgets with the one money format', () => {
    assert.deepEqual(totalText(spendTotal(1.37, 9, 0.12)), { value: '$1.37', sub: '~$0.12 of it estimated · 9 attempts' });
    assert.deepEqual(totalText(spendTotal(0.0042, 1)), { value: '$0.0042', sub: '1 attempt' });
    assert.deepEqual(totalText({ ...spendTotal(0, 2), unpriced: 2 }), { value: '$0.00', sub: '2 attempts · 2 without a price' });
    assert.deepEqual(budgetText({ scope: 'day', budgetUsd: 10, spentUsd: 1.37 }), { label: 'Day budget', value: '$1.37 of $10.00', reached: false });
    assert.deepEqual(budgetText({ scope: 'epic', id: 'E002', budgetUsd: 2, spentUsd: 2.05 }), {
      label: 'Epic budget E002',
      value: '$2.05 of $2.00',
      reached: true,
    });
  });

  it('says what a limit holds: the budget that paused dispatch, an epic hold, a provider waiting for its reset', () => {
    const s = fixtureSnapshot();
    const until = new Date(2025, 2, 1, 14, 5, 0).toISOString(); // 14:05:00 local time
    const pause = { provider: 'claude', until, reason: 'usage limit' };
    const sameDay = new Date(2025, 2, 1, 9, 0, 0).getTime();
    assert.equal(providerPauseText(pause, sameDay), 'claude paused until 14:05 (usage limit): its tasks wait, none fails; other providers go on.');
    // A reset on another day names the day: at 23:30 a reset an hour ahead is tomorrow, and a bare 00:30 reads as past.
    const dayBefore = new Date(2025, 1, 28, 23, 30, 0).getTime();
    assert.equal(providerPauseText(pause, dayBefore), 'claude paused until Mar 1, 14:05 (usage limit): its tasks wait, none fails; other providers go on.');
    const notes = limitNotes({ state: 'paused', pausedFor: 'day budget $10.00 reached ($10.42 spent today)', spend: s.spend, providerPauses: [pause] });
    assert.deepEqual(notes, [
      'Paused: day budget $10.00 reached ($10.42 spent today). Raise the budget in the config, or Resume to go on.',
      'epic budget $2.00 of E002 reached ($2.05 spent): its tasks wait until the budget is raised; the rest go on.',
      providerPauseText(pause),
    ]);
    // A reason left from a pause that ended says nothing; no spend, no pauses: no notes.
    assert.deepEqual(limitNotes({ state: 'running', pausedFor: 'day budget reached', spend: undefined, providerPauses: [] }), []);
  });

  it('the editor and the daemon send the same metrics message from a snapshot', () => {
    const s = fixtureSnapshot();
    assert.deepEqual(metricsOf(s), { metrics: s.metrics, kpis: s.kpis, spend: s.spend, providerPauses: [] });
    assert.deepEqual(metricsOf({ metrics: s.metrics }).providerPauses, []);
  });
});
