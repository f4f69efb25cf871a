// The plan's agent types as a catalogue an agent CLI can be given (Claude Code `--agents`): each type's name, a
// description saying which tasks it takes (from the same keyword map routing uses, so routing and the CLI agree on
// who does what) and its role prompt.
import { rolePrompt } from './prompt';

/** One agent type as a subagent definition. */
export interface AgentTypeDefinition {
  name: string;
  /** When to hand work to this type: the routing keywords it owns. */
  description: string;
  /** The type's role prompt (its system prompt when it runs). */
  prompt: string;
}

/** Keywords quoted in a description; the rest are summarised by a count so a large map stays a short line. */
const MAX_KEYWORDS = 24;

/**
 * The catalogue of agent types: every type of the routing keyword map (in map order), then `extraTypes` (the fallback
 * type, types named only by overrides) that are not already in it.
 */
export function agentTypeCatalog(agentMappings: Readonly<Record<string, readonly string[]>>, extraTypes: readonly string[] = []): AgentTypeDefinition[] {
  const out: AgentTypeDefinition[] = [];
  const seen = new Set<string>();
  for (const [name, keywords] of Object.entries(agentMappings)) {
    seen.add(name);
    const shown = keywords.slice(0, MAX_KEYWORDS).join(', ');
    const more = keywords.length > MAX_KEYWORDS ? ` and ${keywords.length - MAX_KEYWORDS} more` : '';
    out.push({
      name,
      description: keywords.length ? `Takes the plan's tasks about ${shown}${more}.` : `Takes the plan's ${name} tasks.`,
      prompt: rolePrompt(name),
    });
  }
  for (const name of extraTypes) {
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, description: `Takes the plan's tasks that no more specific agent type matches.`, prompt: rolePrompt(name) });
  }
  return out;
}
