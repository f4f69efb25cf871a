import * as assert from 'node:assert/strict';
import type { Diagnostic } from '../../../src/core/model';
import { diagnosticLines, LogTwins, parseEngineLine } from '../../../src/extension/engineLog';

const diag = (code: string, line: number, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
  line,
  column: 0,
  severity,
  code,
  message,
});

describe('the engine in the Output channel', () => {
  it("reads an engine log line as its level and text, dropping the engine's own timestamp", () => {
    assert.deepEqual(parseEngineLine('2026-12-02T15:01:02.345Z WARN  provider claude paused until 16:00'), {
      level: 'warn',
      message: 'provider claude paused until 16:00',
    });
    assert.deepEqual(parseEngineLine('2026-12-02T15:01:02.345Z INFO  engine ready'), { level: 'info', message: 'engine ready' });
    assert.deepEqual(parseEngineLine('2026-12-02T15:01:02.345Z ERROR disk full'), { level: 'error', message: 'disk full' });
    // Anything else (a stack trace, the native-module line) is kept whole.
    assert.deepEqual(parseEngineLine('    at Object.<anonymous> (/x/main.js:3:9)'), { level: 'info', message: '    at Object.<anonymous> (/x/main.js:3:9)' });
    assert.deepEqual(parseEngineLine('2026-12-02 WARN not ours'), { level: 'info', message: '2026-12-02 WARN not ours' });
  });

  it('shows a warning once though it comes on stderr and as a notification, in either order', () => {
    const t = new LogTwins();
    const w = { level: 'warn' as const, message: 'provider claude paused' };
    assert.equal(t.admit('stderr', w, 0), true);
    assert.equal(t.admit('notification', w, 5), false, 'the twin is dropped');
    assert.equal(t.admit('notification', w, 10), true, 'the next occurrence is a new event');
    assert.equal(t.admit('stderr', w, 20), false);
    // The same warning twice from one source is two events; a twin that comes too late is its own line.
    assert.equal(t.admit('stderr', w, 30), true);
    assert.equal(t.admit('stderr', w, 40), true);
    assert.equal(t.admit('notification', w, 60_000), true);
    // Info lines are never deduplicated (only warnings and errors are sent twice).
    const i = { level: 'info' as const, message: 'synced' };
    assert.equal(t.admit('stderr', i, 0), true);
    assert.equal(t.admit('notification', i, 1), true);
  });

  it('writes a line for each new problem that changes what runs, once, and one when they are gone', () => {
    const shown = new Set<string>();
    const cycle = diag('dependency-cycle', 13, 'T1 → T2 → T1: these tasks never start');
    const first = diagnosticLines(
      'PLAN.md',
      [cycle, diag('bad-priority', 3, 'P9 is not a priority', 'warning'), diag('unknown-dependency', 20, 'T9 is not in the plan', 'warning')],
      shown,
    );
    assert.deepEqual(first, [
      { level: 'error', message: 'PLAN.md:14: dependency-cycle: T1 → T2 → T1: these tasks never start' },
      { level: 'warn', message: 'PLAN.md:21: unknown-dependency: T9 is not in the plan' },
    ]);
    assert.deepEqual(diagnosticLines('PLAN.md', [cycle], shown), [], 'already said');
    assert.deepEqual(diagnosticLines('PLAN.md', [], shown), [{ level: 'info', message: 'PLAN.md: no problem holds a task any more' }]);
    assert.deepEqual(
      diagnosticLines('PLAN.md', [diag('bad-priority', 3, 'x', 'warning')], shown),
      [],
      'nothing to say when nothing that changes dispatch came or went',
    );
    assert.deepEqual(diagnosticLines('PLAN.md', [diag('duplicate-id', 1, 'T1 twice', 'info')], shown), [], 'an info note does not change what runs');
  });
});
