// The Claude Code agent's pure parts: the arguments it passes and how it reads a failed session. The real CLI runs
// in test/process/agents/claudeCodeReal.test.ts.
import { strict as assert } from 'node:assert';
import { agentTypeCatalog } from '../../../src/engine/agents/agentTypes';
import { ClaudeCodeAgent, classifyClaudeFailure, type ClaudeResultObject } from '../../../src/engine/agents/claudeCodeAgent';
import { rolePrompt } from '../../../src/engine/agents/prompt';
import { parseAgentSpec } from '../../../src/engine/agents/agentFactory';

const types = agentTypeCatalog({ 'backend-development': ['api', 'endpoint'], 'testing-specialist': ['test'] }, ['general-purpose', 'testing-specialist']);

describe('ClaudeCodeAgent arguments', () => {
  it('passes acceptEdits, the budget, the session to resume, the agent types and the routed type, and the Verify command as an allowed tool (variadic, last)', () => {
    const agent = new ClaudeCodeAgent('cc', { maxBudgetUsd: 0.75, allowedTools: ['Read'], model: 'claude-sonnet-5-5' }, { agentTypes: types });
    const args = agent.buildArgs('the prompt', { agentType: 'backend-development', verify: 'npm test -- greet' }, 'sess-1');
    const agents = JSON.parse(args[args.indexOf('--agents') + 1]);
    assert.deepEqual(Object.keys(agents), ['backend-development', 'testing-specialist', 'general-purpose']);
    assert.deepEqual(agents['backend-development'], { description: "Takes the plan's tasks about api, endpoint.", prompt: rolePrompt('backend-development') });
    assert.deepEqual(
      args.filter((a) => !a.startsWith('{')),
      [
        '-p',
        'the prompt',
        '--output-format',
        'stream-json',
        '--verbose',
        '--permission-mode',
        'acceptEdits',
        '--model',
        'claude-sonnet-5-5',
        '--max-budget-usd',
        '0.75',
        '--resume',
        'sess-1',
        '--agents',
        '--agent',
        'backend-development',
        '--allowedTools',
        'Read',
        'Bash(npm test -- greet)',
      ],
    );
  });

  it("starts a new session under the engine's id (--session-id), resumes instead when asked, and neither with resume off", () => {
    const id = '0b6c4a1e-8f2d-4c3b-9a7e-5d1f2e3c4b5a';
    const on = new ClaudeCodeAgent('cc');
    assert.equal(on.presetsSessions, true);
    const fresh = on.buildArgs('p', { agentType: 'x', newSessionId: id });
    assert.deepEqual(fresh.slice(fresh.indexOf('--session-id'), fresh.indexOf('--session-id') + 2), ['--session-id', id]);
    const resumed = on.buildArgs('p', { agentType: 'x', newSessionId: id }, 'sess-1');
    assert.ok(resumed.includes('--resume') && !resumed.includes('--session-id'), resumed.join(' '));
    const off = new ClaudeCodeAgent('cc', { resume: false });
    assert.equal(off.presetsSessions, false);
    assert.ok(!off.buildArgs('p', { agentType: 'x', newSessionId: id }).includes('--session-id'));
  });

  it('leaves out --agent for a type the catalogue does not have, everything optional when not asked, and --bare when asked', () => {
    const plain = new ClaudeCodeAgent('cc', { outputFormat: 'json', subagents: false, allowVerifyCommand: false, bare: true }, { agentTypes: types });
    assert.deepEqual(plain.buildArgs('p', { agentType: 'backend-development', verify: 'true' }), [
      '-p',
      'p',
      '--output-format',
      'json',
      '--bare',
      '--permission-mode',
      'acceptEdits',
    ]);
    const unknown = new ClaudeCodeAgent('cc', {}, { agentTypes: types }).buildArgs('p', { agentType: 'my-own-type' });
    assert.ok(unknown.includes('--agents'));
    assert.ok(!unknown.includes('--agent'));
  });

  it('does not turn a Verify command with parentheses into a permission rule (the rule syntax would break)', () => {
    const args = new ClaudeCodeAgent('cc').buildArgs('p', { agentType: 'x', verify: 'test "$(cat a)" = b' });
    assert.ok(!args.includes('--allowedTools'));
  });

  it('validates the new options by name, in the config schema too', () => {
    assert.throws(() => new ClaudeCodeAgent('cc', { maxBudgetUsd: -1 }), /agent "cc" \(claude-code\): maxBudgetUsd must be a number between/);
    assert.throws(() => new ClaudeCodeAgent('cc', { bare: 'yes' as never }), /bare must be true or false, got "yes"/);
    assert.throws(() => parseAgentSpec({ kind: 'claude-code', name: 'cc', maxBudgetUsd: 0 }), /"cc": maxBudgetUsd/);
    assert.equal((parseAgentSpec({ kind: 'claude-code', name: 'cc', resume: false, subagents: false, bare: true }) as { bare?: boolean }).bare, true);
  });
});

describe('classifyClaudeFailure', () => {
  const res = (over: Partial<ClaudeResultObject>): ClaudeResultObject => ({ type: 'result', subtype: 'success', is_error: true, ...over });
  it('reads the structured fields first: API status, the API error code, the error subtypes', () => {
    assert.equal(classifyClaudeFailure(res({ api_error_status: 429 }), undefined, 'API Error: Request rejected (429)').kind, 'rate_limited');
    assert.equal(classifyClaudeFailure(res({ api_error_status: 401 }), undefined, 'x').kind, 'auth');
    assert.equal(classifyClaudeFailure(res({ api_error_status: null }), 'authentication_failed', 'Not logged in · Please run /login').kind, 'auth');
    assert.equal(classifyClaudeFailure(res({ api_error_status: 404 }), undefined, 'model not found').kind, 'config');
    assert.equal(classifyClaudeFailure(res({ api_error_status: 529 }), undefined, 'Overloaded').kind, 'transient');
    assert.equal(classifyClaudeFailure(res({ subtype: 'error_max_budget_usd' }), undefined, '').kind, 'fatal');
    assert.equal(
      classifyClaudeFailure(res({ subtype: 'error_max_turns', num_turns: 4 }), undefined, '').why,
      'turn limit reached (subtype error_max_turns after 4 turns)',
    );
  });
  it('falls back to the text (a usage limit with its reset time) and else to transient', () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    const c = classifyClaudeFailure(res({}), undefined, `Claude AI usage limit reached|${reset}`);
    assert.equal(c.kind, 'rate_limited');
    assert.ok(c.retryAfterMs! > 100_000 && c.retryAfterMs! <= 120_000);
    assert.equal(classifyClaudeFailure(res({}), undefined, 'something odd').kind, 'transient');
  });
});

describe('agentTypeCatalog', () => {
  it('has every routed type once, in map order, with its keywords and role prompt; a long keyword list is summarised', () => {
    const many = Array.from({ length: 30 }, (_, i) => `k${i}`);
    const c = agentTypeCatalog({ a: many, b: [] }, ['a', 'c']);
    assert.deepEqual(
      c.map((t) => t.name),
      ['a', 'b', 'c'],
    );
    assert.match(c[0]!.description, /k23 and 6 more\.$/);
    assert.equal(c[1]!.description, "Takes the plan's b tasks.");
    assert.equal(c[2]!.prompt, rolePrompt('c'));
    assert.match(rolePrompt('devops-engineer'), /^You are devops-engineer specialized agent\./);
  });
});
