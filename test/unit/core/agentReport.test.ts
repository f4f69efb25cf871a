// The plan's four-point report read back from an agent's answer (src/core/agentReport.ts).
import { strict as assert } from 'node:assert';
import { AGENT_REPORT_POINTS, parseAgentReport } from '../../../src/core/agentReport';

describe('parseAgentReport', () => {
  it("reads the plan's numbered points with lists under them", () => {
    const r = parseAgentReport(`I added the module and its test.

1. What you did: Added greet() and wired it into the CLI.
2. Files changed:
   - \`src/greet.ts\`
   - test/greet.test.ts
3. Tests run:
   - npm test -- greet: 3 passing
4. Completion status: complete — the Verify command passes.

Let me know if anything else is needed.`);
    assert.deepEqual(r, {
      whatYouDid: 'Added greet() and wired it into the CLI.',
      filesChanged: ['src/greet.ts', 'test/greet.test.ts'],
      testsRun: ['npm test -- greet: 3 passing'],
      completionStatus: 'complete — the Verify command passes.',
    });
  });

  it('reads markdown headings and bold labels, inline comma lists and "none"', () => {
    const r = parseAgentReport(`## Report
**What you did:** Renamed the config key.
**Files changed:** src/a.ts, src/b.ts
**Tests run:** none
**Completion status:** partial`);
    assert.deepEqual(r, { whatYouDid: 'Renamed the config key.', filesChanged: ['src/a.ts', 'src/b.ts'], testsRun: [], completionStatus: 'partial' });
    const h = parseAgentReport(`### 2. Files changed
- docs/guide.md

### 4) Completion status
blocked: the API key is missing`);
    assert.deepEqual(h, { filesChanged: ['docs/guide.md'], completionStatus: 'blocked: the API key is missing' });
  });

  it('the last report wins over a quoted request, and an answer without one gives undefined', () => {
    const r = parseAgentReport(`You asked me to report:
1. What you did
2. Files changed
3. Tests run
4. Completion status

1. What you did: fixed it
2. Files changed: - src/x.ts
3. Tests run: npm test
4. Completion status: complete`);
    assert.equal(r?.whatYouDid, 'fixed it');
    assert.deepEqual(r?.testsRun, ['npm test']);
    assert.deepEqual(r?.filesChanged, ['- src/x.ts'.slice(2)]);
    assert.equal(parseAgentReport('Done. I changed a few things.'), undefined);
    assert.equal(parseAgentReport(undefined), undefined);
  });

  it('caps what an untrusted answer can put in a row', () => {
    const many = Array.from({ length: 500 }, (_, i) => `- f${i}.ts`).join('\n');
    const r = parseAgentReport(`Files changed:\n${many}\nCompletion status: ${'x'.repeat(5000)}`);
    assert.equal(r?.filesChanged?.length, 200);
    assert.equal(r?.completionStatus?.length, 2000);
  });

  it('declares the four points in the plan’s order', () => {
    assert.deepEqual(
      AGENT_REPORT_POINTS.map((p) => p.label),
      ['What you did', 'Files changed', 'Tests run', 'Completion status'],
    );
  });
});
