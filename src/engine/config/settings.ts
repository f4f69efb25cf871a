// Editor settings (EngineSettings, sent by the extension) merged over a loaded config: every set setting wins.
import { z } from 'zod';
import type { EngineSettings } from '../../protocol/engineProtocol';
import type { OrchestratorConfig } from '../config';
import { BUILT_IN_AGENTS } from './agentsConfig';
import { fail, formatIssue, show } from './configErrors';
import { name, nonNegInt, posInt } from './fileSchema';

const settingsSchema = z
  .object({
    maxConcurrentAgents: posInt(1000).optional(),
    maxPerType: z.record(nonNegInt(1000)).optional(),
    defaultAgent: name.optional(),
    model: name.optional(),
    retryMaxAttempts: nonNegInt(100).optional(),
    retryInitialDelayMs: nonNegInt(3_600_000).optional(),
    retryMaxDelayMs: nonNegInt(86_400_000).optional(),
    timeoutMinutes: z.number().positive().max(10_080).optional(),
    metricsPort: nonNegInt(65_535).optional(),
  })
  .strict();

/** Editor settings over a config: every set setting wins. Throws a ConfigError naming `settings.<key>` and the value. */
export function mergeSettings(config: OrchestratorConfig, settings: EngineSettings | undefined): OrchestratorConfig {
  if (!settings) return config;
  const r = settingsSchema.safeParse(settings);
  if (!r.success)
    fail(
      'settings',
      r.error.issues.flatMap((i) => formatIssue({ ...i, path: i.path }, settings)).map((s) => `settings.${s}`),
    );
  const s = r.data;
  const retry = {
    ...config.retry,
    maxAttempts: s.retryMaxAttempts ?? config.retry.maxAttempts,
    initialDelayMs: s.retryInitialDelayMs ?? config.retry.initialDelayMs,
    maxDelayMs: s.retryMaxDelayMs ?? config.retry.maxDelayMs,
  };
  if (retry.maxDelayMs < retry.initialDelayMs) {
    fail('settings', [`settings.retryMaxDelayMs: expected ≥ the initial delay (${retry.initialDelayMs}), got ${retry.maxDelayMs}`]);
  }
  const defaultAgent = s.defaultAgent ?? config.defaultAgent;
  if (!Object.hasOwn(config.agents, defaultAgent) && !(BUILT_IN_AGENTS as readonly string[]).includes(defaultAgent)) {
    fail('settings', [`settings.defaultAgent: expected a configured agent or one of ${BUILT_IN_AGENTS.join(', ')}, got ${show(defaultAgent)}`]);
  }
  return {
    ...config,
    maxConcurrentAgents: s.maxConcurrentAgents ?? config.maxConcurrentAgents,
    agentLimits: { maxPerType: { ...config.agentLimits.maxPerType, ...s.maxPerType } },
    defaultAgent,
    defaultAgentImplicit: s.defaultAgent === undefined && config.defaultAgentImplicit,
    model: s.model ?? config.model,
    retry,
    timeouts: { ...config.timeouts, defaultMinutes: s.timeoutMinutes ?? config.timeouts.defaultMinutes },
    metrics: { ...config.metrics, port: s.metricsPort ?? config.metrics.port },
  };
}
