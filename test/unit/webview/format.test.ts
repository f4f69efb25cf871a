import * as assert from 'node:assert/strict';
import { baseName, formatClock, formatDuration, formatElapsed, formatPercent, formatRate } from '../../../webview-ui/format';

describe('dashboard formatting', () => {
  it('formats durations for people', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(45_900), '45s');
    assert.equal(formatDuration(185_000), '3m 05s');
    assert.equal(formatDuration((2 * 60 + 14) * 60_000), '2h 14m');
    assert.equal(formatDuration((3 * 24 + 4) * 3_600_000), '3d 4h');
    assert.equal(formatDuration(-1), '—');
    assert.equal(formatDuration(Number.NaN), '—');
  });

  it('formats a ticking elapsed time and clamps clock skew to zero', () => {
    assert.equal(formatElapsed(7_000), '0:07');
    assert.equal(formatElapsed(765_000), '12:45');
    assert.equal(formatElapsed(3_723_000), '1:02:03');
    assert.equal(formatElapsed(-5_000), '0:00');
  });

  it('never shows 100% for an unfinished plan nor 0% once something is done', () => {
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent(0.999), '99%');
    assert.equal(formatPercent(1 / 500), '1%');
    assert.equal(formatPercent(0.19), '19%');
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatPercent(Number.NaN), '0%');
  });

  it('formats rates, clock times and file names', () => {
    assert.equal(formatRate(0), '0');
    assert.equal(formatRate(0.44), '0.4');
    assert.equal(formatRate(7.5), '7.5');
    assert.equal(formatRate(12.4), '12');
    const d = new Date(2025, 2, 1, 9, 5, 7);
    assert.equal(formatClock(d.toISOString()), '09:05:07');
    assert.equal(formatClock('not a date'), 'not a date');
    assert.equal(baseName('/a/b/PROJECT-TASKLIST.md'), 'PROJECT-TASKLIST.md');
    assert.equal(baseName('C:\\plans\\tasks.md'), 'tasks.md');
  });
});
