// Builds agents from configuration. `AgentSpec` is a discriminated union by `kind`; `parseAgentSpec` validates raw
// config (a file, settings) and names the bad field, `createAgent` turns a spec into an Agent.
import { z } from 'zod';
import { AGENT_ERROR_KINDS, type Agent } from './agent';
import { AnthropicAgent, type AnthropicAgentConfig } from './anthropicAgent';
import type { AgentTypeDefinition } from './agentTypes';
import { ClaudeCodeAgent, type ClaudeCodeAgentConfig } from './claudeCodeAgent';
import { CommandAgent, codexPreset, geminiPreset, type CodexPresetConfig, type CommandAgentConfig, type GeminiPresetConfig } from './commandAgent';
import { DryRunAgent, type DryRunAgentConfig } from './dryRunAgent';
import { textOf } from '../../core/describe';

/** Configuration of one agent, discriminated by `kind`; `name` is how plans and routing refer to it. */
export type AgentSpec =
  | ({ kind: 'anthropic'; name: string } & AnthropicAgentConfig)
  | ({ kind: 'claude-code'; name: string } & ClaudeCodeAgentConfig)
  | ({ kind: 'command'; name: string } & CommandAgentConfig)
  | ({ kind: 'codex'; name: string } & CodexPresetConfig)
  | ({ kind: 'gemini'; name: string } & GeminiPresetConfig)
  | ({ kind: 'dry-run'; name: string } & DryRunAgentConfig);

export type AgentKind = AgentSpec['kind'];
export const AGENT_KINDS: readonly AgentKind[] = ['anthropic', 'claude-code', 'command', 'codex', 'gemini', 'dry-run'];

/** What agents may be given besides their own options. */
export interface AgentContext {
  /** The plan's agent types (routing's keyword map), for agents that take subagent definitions. */
  agentTypes?: readonly AgentTypeDefinition[];
}

/** Creates the agent described by `spec`. Throws a TypeError naming the agent and the bad option. */
export function createAgent(spec: AgentSpec, context: AgentContext = {}): Agent {
  if (!spec || typeof spec !== 'object') throw new TypeError(`agent spec must be an object, got ${JSON.stringify(spec)}`);
  if (typeof spec.name !== 'string' || spec.name.trim() === '') throw new TypeError(`agent spec needs a non-empty "name", got ${JSON.stringify(spec.name)}`);
  const { kind, name, ...rest } = spec;
  switch (kind) {
    case 'anthropic':
      return new AnthropicAgent(name, rest as AnthropicAgentConfig);
    case 'claude-code':
      return new ClaudeCodeAgent(name, rest as ClaudeCodeAgentConfig, { agentTypes: context.agentTypes });
    case 'command':
      return new CommandAgent(name, rest as CommandAgentConfig);
    case 'codex':
      return new CommandAgent(name, codexPreset(name, rest as CodexPresetConfig));
    case 'gemini':
      return new CommandAgent(name, geminiPreset(name, rest as GeminiPresetConfig));
    case 'dry-run':
      return new DryRunAgent(name, rest as DryRunAgentConfig);
    default:
      throw new TypeError(`agent "${textOf(name)}": unknown kind ${JSON.stringify(kind)}; expected one of ${AGENT_KINDS.join(', ')}`);
  }
}

const base = { name: z.string().min(1) };
const strArr = z.array(z.string());
const env = z.record(z.string());
/** A model's price in USD per million tokens (an Anthropic agent's `prices` entries, the config's `prices`). */
export const modelPriceSchema = z
  .object({
    inputPerMTok: z.number().nonnegative(),
    outputPerMTok: z.number().nonnegative(),
    cacheWritePerMTok: z.number().nonnegative().optional(),
    cacheReadPerMTok: z.number().nonnegative().optional(),
  })
  .strict();

/** zod schema of AgentSpec (strict: unknown options are errors, so typos are caught). */
export const agentSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('anthropic'),
      ...base,
      model: z.string().min(1).optional(),
      maxTokens: z.number().int().positive().optional(),
      maxTurns: z.number().int().positive().optional(),
      baseURL: z.string().url().optional(),
      requestTimeoutMs: z.number().int().positive().optional(),
      idleTimeoutMs: z.number().int().positive().optional(),
      enableRunCommand: z.boolean().optional(),
      runCommandTimeoutMs: z.number().int().positive().optional(),
      maxReadBytes: z.number().int().positive().optional(),
      systemPrompt: z.string().min(1).optional(),
      prices: z.record(modelPriceSchema).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('claude-code'),
      ...base,
      executable: z.string().min(1).optional(),
      outputFormat: z.enum(['json', 'stream-json']).optional(),
      permissionMode: z.string().min(1).optional(),
      allowedTools: strArr.optional(),
      allowVerifyCommand: z.boolean().optional(),
      model: z.string().min(1).optional(),
      maxTurns: z.number().int().positive().optional(),
      maxBudgetUsd: z.number().positive().optional(),
      bare: z.boolean().optional(),
      subagents: z.boolean().optional(),
      resume: z.boolean().optional(),
      extraArgs: strArr.optional(),
      maxPromptArgBytes: z.number().int().positive().optional(),
      maxOutputChars: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('command'),
      ...base,
      executable: z.string().min(1),
      args: strArr.optional(),
      stdin: z.enum(['prompt', 'json', 'none']).optional(),
      output: z.enum(['text', 'codex-jsonl', 'gemini-json']).optional(),
      env: env.optional(),
      passEnv: strArr.optional(),
      successExitCodes: z.array(z.number().int().min(0).max(255)).min(1).optional(),
      exitCodeKinds: z.record(z.enum(AGENT_ERROR_KINDS as [string, ...string[]])).optional(),
      provider: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      maxOutputChars: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('codex'),
      ...base,
      executable: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      sandbox: z.string().min(1).optional(),
      extraArgs: strArr.optional(),
      env: env.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('gemini'),
      ...base,
      executable: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      approvalMode: z.string().min(1).optional(),
      trustWorkspace: z.boolean().optional(),
      extraArgs: strArr.optional(),
      env: env.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('dry-run'),
      ...base,
      durationMs: z
        .union([z.number().int().nonnegative(), z.object({ minMs: z.number().int().nonnegative(), maxMs: z.number().int().nonnegative() }).strict()])
        .optional(),
      failureRate: z.number().min(0).max(1).optional(),
      failureKind: z.enum(AGENT_ERROR_KINDS as [string, ...string[]]).optional(),
      seed: z.number().int().nonnegative().optional(),
    })
    .strict(),
]);

/** Validates raw configuration into an AgentSpec; the error names `where`, the field path and the problem. */
export function parseAgentSpec(raw: unknown, where = 'agent config'): AgentSpec {
  const r = agentSpecSchema.safeParse(raw);
  if (!r.success) {
    const name = raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? ` "${(raw as { name: string }).name}"` : '';
    const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
    throw new TypeError(`${where}${name}: ${issues}`);
  }
  return r.data as AgentSpec;
}
