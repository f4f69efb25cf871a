import { strict as assert } from 'node:assert';
import { createAgentResolver, isSimulated } from '../../../src/engine/agentResolver';
import { parseConfig } from '../../../src/engine/config';

describe('agentResolver', () => {
  const config = parseConfig(
    { agents: { claude: { kind: 'claude-code' }, 'devops-engineer': 'claude', 'qa-bot': { kind: 'dry-run', durationMs: 1 } }, default_agent: 'dry-run' },
    'config',
    { env: {} },
  );

  it('builds one agent per distinct spec and routes types to their entry, else the default agent', () => {
    const agentFor = createAgentResolver(config);
    const devops = agentFor('devops-engineer');
    assert.equal(devops.provider, 'claude-code');
    assert.equal(devops.name, 'claude');
    assert.equal(agentFor('devops-engineer'), devops, 'cached');
    assert.equal(agentFor('claude'), devops, 'the alias and its target share one instance');
    const other = agentFor('frontend-development');
    assert.equal(other.provider, 'dry-run');
    assert.equal(other.simulated, true);
    assert.equal(agentFor('backend-development'), other, 'every defaulted type shares the default agent');
    assert.notEqual(agentFor('qa-bot'), other, 'a differently configured dry-run is its own agent');
  });

  it('--agent forces one agent for every type, by entry name or built-in kind', () => {
    const forced = createAgentResolver(config, { force: 'dry-run' });
    assert.equal(forced('devops-engineer').provider, 'dry-run');
    assert.equal(createAgentResolver(config, { force: 'claude' })('anything').provider, 'claude-code');
    assert.throws(() => createAgentResolver(config, { force: 'nobody' }), /agent "nobody": expected a name in agents or one of/);
  });

  it('says when the default agent is the simulation', () => {
    assert.equal(isSimulated(config), true);
    assert.equal(isSimulated(config, 'claude'), false);
    assert.equal(isSimulated(parseConfig({}, 'c', { env: { ANTHROPIC_API_KEY: 'sk-ant-x-123456' } })), false);
  });
});
