import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildPrompt, loadRelevantFiles } from '../../../src/engine/agents/prompt';
import { cleanup, makeTask, makeTempDir } from '../../fakes/agentTestKit';

describe('prompt', () => {
  let cwd: string;
  beforeEach(() => (cwd = makeTempDir()));
  afterEach(() => cleanup(cwd));

  it('carries the task, its epic/feature, dependency results, verify command and retry note', () => {
    const p = buildPrompt(
      makeTask(cwd, {
        attempt: 3,
        verify: 'npm test -- greet',
        dependencies: [
          { id: 'T000', title: 'Scaffold', resultSummary: 'x'.repeat(5000) },
          { id: 'T002', title: 'Other' },
        ],
      }),
      [],
      { maxDependencySummaryChars: 100 },
    );
    // The plan's prompt: its role line first, then the task, priority, estimate and context.
    const role = p.split('\n')[0];
    assert.equal(role, `You are ${makeTask(cwd).agentType} specialized agent.`);
    assert.match(p, /\n# Task T001: Add a greeting module\n\nTask: Add a greeting module\n/);
    assert.match(p, /Dependencies: T000 \(Scaffold\), T002 \(Other\)/);
    // And its four-point report, asked for in a form src/core/agentReport.ts reads back.
    assert.match(p, /Execute this task and report:\n1\. What you did\n2\. Files changed\n3\. Tests run\n4\. Completion status\n/);
    assert.match(p, /\n4\. Completion status: <complete, partial or blocked, and why>$/);
    assert.match(p, /Epic: E001 — Foundations/);
    assert.match(p, /Feature: F001\.01 — Greeting/);
    assert.match(p, /attempt 3/);
    assert.match(p, /npm test -- greet/);
    assert.match(p, /### T000: Scaffold\nx{100}\n…\[truncated 4900 characters\]/);
    assert.match(p, /### T002: Other\n\(no summary recorded\)/);
  });

  it('loads small relevant files inside cwd, caps them, and skips escapes, binaries and missing files', async () => {
    writeFileSync(path.join(cwd, 'a.txt'), 'alpha');
    writeFileSync(path.join(cwd, 'big.txt'), 'b'.repeat(100));
    writeFileSync(path.join(cwd, 'bin.dat'), Buffer.from([1, 0, 2]));
    const files = await loadRelevantFiles(cwd, ['a.txt', 'big.txt', 'bin.dat', '../etc/passwd', 'missing.txt'], { maxFileChars: 10 });
    assert.deepEqual(files[0], { path: 'a.txt', content: 'alpha', truncated: false });
    assert.deepEqual(files[1], { path: 'big.txt', content: 'b'.repeat(10), truncated: true });
    assert.equal(files[2]!.skipped, 'binary file');
    assert.match(files[3]!.skipped!, /outside the working directory/);
    assert.ok(files[4]!.skipped);
    const p = buildPrompt(makeTask(cwd), files);
    assert.match(p, /### a\.txt\n```\nalpha\n```/);
    assert.match(p, /big\.txt \(truncated\)/);
    assert.match(p, /- bin\.dat: not included \(binary file\)/);
  });
});
