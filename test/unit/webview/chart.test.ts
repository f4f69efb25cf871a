import * as assert from 'node:assert/strict';
import { chartGeometry, niceMax } from '../../../webview-ui/chart';
import { iso } from './dashboardFixture';

const BOX = { width: 400, height: 200, padLeft: 40, padRight: 10, padTop: 10, padBottom: 30 };
const label = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/** Every x,y pair of a path's commands. */
const coords = (d: string): [number, number][] => [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('throughput chart geometry', () => {
  it('rounds the y axis up to a nice bound', () => {
    assert.deepEqual([0, 1, 3, 7, 11, 23, 122, 480, 1001].map(niceMax), [1, 1, 3, 8, 15, 25, 150, 500, 1500]);
  });

  it('is empty with no usable samples', () => {
    assert.equal(chartGeometry([], BOX, label).empty, true);
    assert.equal(chartGeometry([{ at: 'garbage', completed: 1, remaining: 1 }], BOX, label).empty, true);
  });

  it('maps time to x and counts to y inside the plot, sorted by time, burndown falling as completions rise', () => {
    const g = chartGeometry(
      [
        { at: iso(30), completed: 5, remaining: 5 },
        { at: iso(0), completed: 0, remaining: 10 },
        { at: iso(60), completed: 8, remaining: 2 },
      ],
      BOX,
      label,
    );
    assert.equal(g.empty, false);
    assert.deepEqual(g.plot, { x: 40, y: 10, width: 350, height: 160 });
    const c = coords(g.completedLine);
    const r = coords(g.remainingLine);
    assert.deepEqual(
      c.map(([x]) => x),
      [40, 215, 390],
      'x spans the plot in time order',
    );
    assert.deepEqual(
      c.map(([, y]) => y),
      [170, 90, 42],
      'y = bottom - value/10 * height',
    );
    assert.deepEqual(
      r.map(([, y]) => y),
      [10, 90, 138],
    );
    assert.ok(g.completedArea.endsWith('Z'));
    assert.deepEqual(
      g.yTicks.map((t) => t.label),
      ['0', '5', '10'],
    );
    assert.deepEqual(
      g.xTicks.map((t) => t.label),
      [label(Date.parse(iso(0))), label(Date.parse(iso(30))), label(Date.parse(iso(60)))],
    );
    assert.deepEqual(g.lastCompleted, { x: 390, y: 42, value: 8 });
  });

  it('draws a single sample as a level line across the plot', () => {
    const g = chartGeometry([{ at: iso(5), completed: 3, remaining: 4 }], BOX, label);
    const c = coords(g.completedLine);
    assert.equal(c.length, 2);
    assert.equal(c[0][0], 40);
    assert.equal(c[1][0], 390);
    assert.equal(c[0][1], c[1][1]);
    assert.equal(g.xTicks.length, 1);
  });
});

describe('throughput chart ticks', () => {
  const BOX2 = { width: 640, height: 220, padLeft: 34, padRight: 14, padTop: 12, padBottom: 26 };
  const at = (s: number): string => new Date(Date.UTC(2025, 2, 1, 9, 0, s)).toISOString();

  it('shows each time label once: a short run does not repeat the same minute', () => {
    const minuteOnly = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
    const g = chartGeometry(
      [
        { at: at(0), completed: 0, remaining: 3 },
        { at: at(40), completed: 3, remaining: 0 },
      ],
      BOX2,
      minuteOnly,
    );
    const labels = g.xTicks.map((t) => t.label);
    assert.deepEqual(labels, [...new Set(labels)]);
    assert.deepEqual(labels, ['09:00']);
  });

  it('labels whole counts only: a scale of 1 has no 0.5 tick', () => {
    const g = chartGeometry([{ at: at(0), completed: 1, remaining: 0 }], BOX2, () => 'x');
    assert.deepEqual(
      g.yTicks.map((t) => t.label),
      ['0', '1'],
    );
  });
});
