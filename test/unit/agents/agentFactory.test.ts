import * as assert from 'node:assert/strict';
import { AnthropicAgent } from '../../../src/engine/agents/anthropicAgent';
import { ClaudeCodeAgent } from '../../../src/engine/agents/claudeCodeAgent';
import { CommandAgent } from '../../../src/engine/agents/commandAgent';
import { DryRunAgent } from '../../../src/engine/agents/dryRunAgent';
import { createAgent, parseAgentSpec, type AgentSpec } from '../../../src/engine/agents/agentFactory';

describe('agentFactory', () => {
  it('creates each kind of agent with its name and provider', () => {
    const specs: [AgentSpec, unknown, string][] = [
      [{ kind: 'anthropic', name: 'api' }, AnthropicAgent, 'anthropic'],
      [{ kind: 'claude-code', name: 'cc' }, ClaudeCodeAgent, 'claude-code'],
      [{ kind: 'command', name: 'cmd', executable: 'make', args: ['{id}'] }, CommandAgent, 'command'],
      [{ kind: 'codex', name: 'cx' }, CommandAgent, 'codex'],
      [{ kind: 'gemini', name: 'gm' }, CommandAgent, 'gemini'],
      [{ kind: 'dry-run', name: 'sim' }, DryRunAgent, 'dry-run'],
    ];
    for (const [spec, cls, provider] of specs) {
      const a = createAgent(spec);
      assert.ok(a instanceof (cls as new (...args: never[]) => unknown), spec.kind);
      assert.equal(a.name, spec.name);
      assert.equal(a.provider, provider);
    }
  });

  it('rejects an unknown kind and a missing name', () => {
    assert.throws(() => createAgent({ kind: 'gpt', name: 'x' } as unknown as AgentSpec), /agent "x": unknown kind "gpt"/);
    assert.throws(() => createAgent({ kind: 'dry-run', name: '' }), /non-empty "name"/);
  });

  it('parseAgentSpec validates raw config strictly and names the agent and field', () => {
    const ok = parseAgentSpec({ kind: 'dry-run', name: 'sim', durationMs: { minMs: 1, maxMs: 2 }, failureRate: 0.1 });
    assert.equal(ok.kind, 'dry-run');
    assert.throws(
      () => parseAgentSpec({ kind: 'anthropic', name: 'api', maxTurn: 3 }, 'coditect.json agents[0]'),
      /coditect\.json agents\[0\] "api": .*maxTurn/,
    );
    assert.throws(() => parseAgentSpec({ kind: 'command', name: 'c' }), /"c": executable: Required/);
    assert.throws(() => parseAgentSpec({ kind: 'dry-run', name: 'd', failureRate: 3 }), /failureRate/);
  });
});
