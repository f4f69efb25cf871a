// Editor settings (EngineSettings, sent by the extension) merged over a loaded config: every set setting wins. They are
// checked with the same descriptors the extension checks them with (src/protocol/engineSettings.ts).
import { checkEngineSettings, ENGINE_SETTINGS, type EngineSettings } from '../../protocol/engineSettings';
import type { OrchestratorConfig } from '../config';
import { BUILT_IN_AGENTS } from './agentsConfig';
import { fail, show } from './configErrors';

/** Editor settings over a config: every set setting wins. Throws a ConfigError naming `settings.<key>` and the value. */
export function mergeSettings(config: OrchestratorConfig, settings: EngineSettings | undefined): OrchestratorConfig {
  if (!settings) return config;
  const unknown = Object.keys(settings).filter((k) => !Object.hasOwn(ENGINE_SETTINGS, k));
  const { settings: s, issues } = checkEngineSettings(settings);
  if (unknown.length > 0 || issues.length > 0)
    fail('settings', [
      ...unknown.map((k) => `settings.${k}: unknown setting`),
      ...issues.map((i) => `settings.${i.field}${i.entry === undefined ? '' : `.${i.entry}`}: expected ${i.expected}, got ${show(i.value)}`),
    ]);
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
    simulation: { durationMs: s.simulationMs ?? config.simulation.durationMs },
  };
}
