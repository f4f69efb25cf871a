// The config's agents: the built-in kinds usable by name, the `agents` entries validated with their aliases resolved,
// and the spec that runs a given agent type.
import { errorMessage } from '../../core/describe';
import { AGENT_KINDS, parseAgentSpec, type AgentKind, type AgentSpec } from '../agents/agentFactory';
import { simulationPace } from '../agents/dryRunAgent';
import type { OrchestratorConfig } from '../config';
import { ConfigError, show } from './configErrors';

/** Agent kinds usable by name alone, without an `agents` entry (`command` needs an executable, so it is not one). */
export const BUILT_IN_AGENTS: readonly AgentKind[] = AGENT_KINDS.filter((k) => k !== 'command');

/** Validates each `agents` entry (through parseAgentSpec) and resolves name aliases, refusing loops. */
export function resolveAgents(raw: Record<string, string | Record<string, unknown>>, issues: string[]): Record<string, AgentSpec> {
  const out: Record<string, AgentSpec> = {};
  const specOf = (key: string, trail: string[]): AgentSpec | undefined => {
    if (Object.hasOwn(out, key)) return out[key];
    const v = Object.hasOwn(raw, key) ? raw[key] : undefined;
    if (v === undefined) {
      if ((BUILT_IN_AGENTS as readonly string[]).includes(key)) return { kind: key, name: key } as AgentSpec;
      issues.push(`agents.${trail[0]}: expected the name of another agent or one of ${BUILT_IN_AGENTS.join(', ')}, got ${show(key)}`);
      return undefined;
    }
    if (typeof v === 'string') {
      if (trail.includes(v)) {
        issues.push(`agents.${trail[0]}: aliases form a loop (${[...trail, v].join(' → ')})`);
        return undefined;
      }
      const target = specOf(v, [...trail, v]);
      if (target) out[key] = target;
      return target;
    }
    if ('name' in v) {
      issues.push(`agents.${key}.name: the entry's key is its name; remove "name" (got ${show(v.name)})`);
      return undefined;
    }
    try {
      const spec = parseAgentSpec({ ...v, name: key }, `agents.${key}`);
      out[key] = spec;
      return spec;
    } catch (e) {
      issues.push(errorMessage(e));
      return undefined;
    }
  };
  for (const key of Object.keys(raw)) specOf(key, [key]);
  return out;
}

const MODEL_KINDS: ReadonlySet<string> = new Set(['anthropic', 'claude-code', 'codex', 'gemini']);

function withModel(spec: AgentSpec, model: string | undefined): AgentSpec {
  if (!model || !MODEL_KINDS.has(spec.kind) || (spec as { model?: string }).model) return spec;
  return { ...spec, model } as AgentSpec;
}

/**
 * The agent spec that runs `agentType`: its own entry in `agents`, else the default agent; `config.model` filled in
 * for kinds that take a model and did not set one.
 */
export function agentSpecFor(config: OrchestratorConfig, agentType: string): AgentSpec {
  if (Object.hasOwn(config.agents, agentType)) return withModel(config.agents[agentType], config.model);
  const spec = agentSpecByName(config, config.defaultAgent);
  // The simulation nobody asked for runs at a pace a person can follow (simulation.duration_ms), unless configured.
  if (config.defaultAgentImplicit && spec.kind === 'dry-run' && spec.durationMs === undefined)
    return { ...spec, durationMs: simulationPace(config.simulation.durationMs) };
  return spec;
}

/** The spec of a named agent: an entry of `agents` or a built-in kind (with `config.model`). Throws for neither. */
export function agentSpecByName(config: OrchestratorConfig, name: string): AgentSpec {
  if (Object.hasOwn(config.agents, name)) return withModel(config.agents[name], config.model);
  if ((BUILT_IN_AGENTS as readonly string[]).includes(name)) return withModel({ kind: name, name } as AgentSpec, config.model);
  throw new ConfigError(`agent ${JSON.stringify(name)}: expected a name in agents or one of ${BUILT_IN_AGENTS.join(', ')}`);
}
