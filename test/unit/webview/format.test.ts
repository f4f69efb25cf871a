import * as assert from 'node:assert/strict';
import { baseName, formatAxisTime, formatClock } from '../../../webview-ui/format';

// Percentages, durations and rates are the shared presentation's (test/unit/protocol/presentation.test.ts).
describe('dashboard formatting', () => {
  it('formats clock times, axis times and file names', () => {
    const d = new Date(2025, 2, 1, 9, 5, 7);
    assert.equal(formatClock(d.toISOString()), '09:05:07');
    assert.equal(formatClock('not a date'), 'not a date');
    assert.equal(formatAxisTime(d.getTime()), '09:05');
    assert.equal(formatAxisTime(d.getTime(), 120_000), '09:05:07', 'seconds when the axis spans minutes');
    assert.equal(baseName('/a/b/PROJECT-TASKLIST.md'), 'PROJECT-TASKLIST.md');
    assert.equal(baseName('C:\\plans\\tasks.md'), 'tasks.md');
  });
});
