// Turns agent types into Agent instances for the orchestrator's `agentFor`: the spec comes from the config (the
// type's own entry in `agents`, else `default_agent`), and one Agent is built per distinct spec and reused, so
// every type sharing an agent shares its provider's breaker and its instance.
import type { Agent } from './agents/agent';
import { createAgent, type AgentContext, type AgentSpec } from './agents/agentFactory';
import { agentTypeCatalog } from './agents/agentTypes';
import type { OrchestratorConfig } from './config';
import { agentSpecByName, agentSpecFor } from './config/agentsConfig';

/** Options of createAgentResolver. */
export interface AgentResolverOptions {
  /** Run every agent type with this agent instead (`coditect run --agent NAME`): a name in `agents` or a built-in kind. */
  force?: string;
  /** Builds an agent from a spec (tests). Default createAgent. */
  create?(spec: AgentSpec, context: AgentContext): Agent;
}

/** `agentFor(agentType)` over a config. Throws a TypeError naming the agent when its options are bad. */
export function createAgentResolver(config: OrchestratorConfig, opts: AgentResolverOptions = {}): (agentType: string) => Agent {
  const create = opts.create ?? createAgent;
  const cache = new Map<string, Agent>();
  const forced = opts.force === undefined ? undefined : agentSpecByName(config, opts.force);
  // Every agent sees the same catalogue of the plan's agent types that routing uses (Claude Code gets it as subagents).
  const context: AgentContext = {
    agentTypes: agentTypeCatalog(config.agentMappings, [
      config.fallbackAgentType,
      ...Object.values(config.epicFallbacks),
      ...Object.values(config.agentPriorityOverrides),
    ]),
  };
  // The config does not change under a resolver: a type's agent, once found, is the type's for good (a queue worker
  // resolves one per job, and the spec's JSON key was most of that cost).
  const byType = new Map<string, Agent>();
  return (agentType: string): Agent => {
    const known = byType.get(agentType);
    if (known) return known;
    const spec = forced ?? agentSpecFor(config, agentType);
    const key = JSON.stringify(spec);
    let agent = cache.get(key);
    if (!agent) {
      agent = create(spec, context);
      cache.set(key, agent);
    }
    byType.set(agentType, agent);
    return agent;
  };
}

/** True when the agent that runs agent types without their own entry is the dry-run simulation (the UI must say so). */
export function isSimulated(config: OrchestratorConfig, force?: string): boolean {
  return agentSpecByName(config, force ?? config.defaultAgent).kind === 'dry-run';
}
