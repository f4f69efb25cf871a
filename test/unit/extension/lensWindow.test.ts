import * as assert from 'node:assert/strict';
import { LENS_MARGIN_LINES as M, lensWindows, scrolledNearEdge } from '../../../src/extension/lensWindow';

describe('editor: which lines of a big plan get lenses', () => {
  it('widens each visible range by the margin, clipped to the file', () => {
    assert.deepEqual(lensWindows([{ start: 1000, end: 1040 }], 17_000), [{ start: 1000 - M, end: 1040 + M }]);
    assert.deepEqual(lensWindows([{ start: 10, end: 50 }], 17_000), [{ start: 0, end: 50 + M }]);
    assert.deepEqual(lensWindows([{ start: 16_980, end: 16_999 }], 17_000), [{ start: 16_980 - M, end: 16_999 }]);
  });

  it('merges the windows of two editors that overlap and keeps apart those that do not', () => {
    assert.deepEqual(
      lensWindows(
        [
          { start: 5000, end: 5040 },
          { start: 1000, end: 1040 },
          { start: 1100, end: 1140 },
        ],
        17_000,
      ),
      [
        { start: 1000 - M, end: 1140 + M },
        { start: 5000 - M, end: 5040 + M },
      ],
    );
  });

  it('covers the top of the file while no editor shows it yet', () => {
    assert.deepEqual(lensWindows([], 17_000), [{ start: 0, end: M }]);
  });

  it('asks for new lenses half a margin before the view reaches the edge, never at the ends of the file', () => {
    const windows = lensWindows([{ start: 1000, end: 1040 }], 17_000);
    assert.equal(scrolledNearEdge(windows, [{ start: 1000, end: 1040 }], 17_000), false);
    assert.equal(scrolledNearEdge(windows, [{ start: 1000 + M / 2 - 10, end: 1040 + M / 2 - 10 }], 17_000), false);
    assert.equal(scrolledNearEdge(windows, [{ start: 1000 + M / 2 + 10, end: 1040 + M / 2 + 10 }], 17_000), true);
    assert.equal(scrolledNearEdge(windows, [{ start: 1000 - M / 2 - 10, end: 1040 - M / 2 - 10 }], 17_000), true);
    // At the top of the file, staying at the top asks for nothing more.
    const top = lensWindows([{ start: 0, end: 40 }], 17_000);
    assert.equal(scrolledNearEdge(top, [{ start: 0, end: 40 }], 17_000), false);
    const bottom = lensWindows([{ start: 16_960, end: 16_999 }], 17_000);
    assert.equal(scrolledNearEdge(bottom, [{ start: 16_960, end: 16_999 }], 17_000), false);
  });
});
