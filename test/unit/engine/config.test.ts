import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_AGENT_MAPPINGS } from '../../../src/core/routing';
import { DryRunAgent } from '../../../src/engine/agents/dryRunAgent';
import { loadConfig, parseConfig, routingConfigOf, timeoutMsFor } from '../../../src/engine/config';
import { agentSpecByName, agentSpecFor } from '../../../src/engine/config/agentsConfig';
import { ConfigError } from '../../../src/engine/config/configErrors';
import { mergeSettings } from '../../../src/engine/config/settings';

describe('config', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'coditect-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function throwsConfig(fn: () => unknown, ...parts: string[]): void {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      for (const p of parts) assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(p)}`);
      return true;
    });
  }

  it('has documented defaults; default agent is dry-run without a key and anthropic with one', () => {
    const c = parseConfig({}, 'config', { env: {} });
    assert.equal(c.maxConcurrentAgents, 4);
    assert.deepEqual(c.retry, { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 16000, jitter: 'half', backoffBase: 2 });
    assert.deepEqual(c.circuitBreaker, { failureThreshold: 5, cooldownMs: 60000 });
    assert.deepEqual(c.lease, { ms: 30000, heartbeatMs: 10000 });
    assert.equal(c.timeouts.defaultMinutes, 120);
    assert.equal(c.metrics.port, 9464);
    assert.equal(c.metrics.host, '127.0.0.1');
    assert.equal(c.metrics.enabled, undefined);
    assert.deepEqual(c.backup, { intervalMs: 6 * 3_600_000, keep: 28 }, "the plan's every 6 hours");
    assert.deepEqual(parseConfig({ backup: { interval_hours: 0.5, keep: 3 } }).backup, { intervalMs: 1_800_000, keep: 3 });
    assert.equal(c.agentMappings, DEFAULT_AGENT_MAPPINGS);
    assert.equal(c.defaultAgent, 'dry-run');
    assert.equal(agentSpecFor(c, 'devops-engineer').kind, 'dry-run');
    const k = parseConfig({}, 'config', { env: { ANTHROPIC_API_KEY: 'sk-ant-xxxxxxxx' } });
    assert.equal(k.defaultAgent, 'anthropic');
    assert.equal(agentSpecFor(k, 'x').kind, 'anthropic');
  });

  it('runs the simulation nobody chose at a pace a person can follow; a dry-run asked for keeps its own', () => {
    const implicit = parseConfig({}, 'config', { env: {} });
    assert.equal(implicit.defaultAgentImplicit, true);
    assert.deepEqual((agentSpecFor(implicit, 'backend-development') as { durationMs?: unknown }).durationMs, { minMs: 1000, maxMs: 3000 });
    assert.equal((agentSpecByName(implicit, 'dry-run') as { durationMs?: unknown }).durationMs, undefined, '--agent dry-run stays instant');
    const chosen = parseConfig({ default_agent: 'dry-run' }, 'config', { env: {} });
    assert.equal((agentSpecFor(chosen, 'backend-development') as { durationMs?: unknown }).durationMs, undefined);
    const bySetting = mergeSettings(implicit, { defaultAgent: 'dry-run' });
    assert.equal(bySetting.defaultAgentImplicit, false);
    assert.equal((agentSpecFor(bySetting, 'x') as { durationMs?: unknown }).durationMs, undefined);
    const paced = new DryRunAgent('dry-run', agentSpecFor(implicit, 'x') as { durationMs: { minMs: number; maxMs: number } });
    for (let i = 1; i <= 20; i++) {
      const { durationMs } = paced.plan(`T${i}`, 1);
      assert.ok(durationMs >= 1000 && durationMs <= 3000, `${durationMs} ms is between 1 and 3 s`);
    }
  });

  it('paces that simulation by simulation.duration_ms, and by the coditect.simulation.durationMs setting over it', () => {
    const pace = (c: ReturnType<typeof parseConfig>): unknown => (agentSpecFor(c, 'x') as { durationMs?: unknown }).durationMs;
    const fromFile = parseConfig({ simulation: { duration_ms: 400 } }, 'config', { env: {} });
    assert.deepEqual(pace(fromFile), { minMs: 200, maxMs: 600 });
    assert.deepEqual(pace(mergeSettings(fromFile, { simulationMs: 0 })), { minMs: 0, maxMs: 0 }, 'the setting wins; 0 is instant');
    assert.deepEqual(pace(mergeSettings(fromFile, { simulationMs: 10_000 })), { minMs: 5000, maxMs: 15_000 });
    assert.throws(() => parseConfig({ simulation: { duration_ms: -1 } }, 'config', { env: {} }), /simulation\.duration_ms/);
    assert.throws(() => mergeSettings(fromFile, { simulationMs: 600_001 }), /settings\.simulationMs: expected an integer from 0 to 600000, got 600001/);
    // Only the simulation nobody chose: a dry-run asked for by name keeps its own (instant) pace.
    assert.equal((agentSpecByName(fromFile, 'dry-run') as { durationMs?: unknown }).durationMs, undefined);
  });

  it('names the bad key path, what was expected and the value', () => {
    throwsConfig(() => parseConfig({ retry: { max_attempts: -1 } }, 'cfg.json'), 'cfg.json', 'retry.max_attempts: expected ≥0, got -1');
    throwsConfig(() => parseConfig({ max_concurrent_agents: 0 }), 'max_concurrent_agents: expected ≥1, got 0');
    throwsConfig(() => parseConfig({ max_concurrent_agents: 'four' }), 'max_concurrent_agents: expected number, got "four"');
    throwsConfig(() => parseConfig({ agent_limits: { max_per_type: { qa: 1.5 } } }), 'agent_limits.max_per_type.qa: expected integer');
    throwsConfig(() => parseConfig({ retyr: {} }), 'retyr: unknown option');
    throwsConfig(() => parseConfig({ retry: { jitter: 'lots' } }), 'retry.jitter', '"lots"');
    throwsConfig(
      () => parseConfig({ retry: { initial_delay_ms: 5000, max_delay_ms: 100 } }),
      'retry.max_delay_ms: expected ≥ retry.initial_delay_ms (5000), got 100',
    );
    throwsConfig(() => parseConfig({ lease: { ms: 1000, heartbeat_ms: 1000 } }), 'lease.heartbeat_ms: expected < lease.ms (1000), got 1000');
    throwsConfig(() => parseConfig({ default_agent: 'nobody' }), 'default_agent', '"nobody"');
    throwsConfig(() => parseConfig([1, 2]), '(root): expected an object');
    throwsConfig(() => parseConfig({ backup: { interval_hours: -6 } }), 'backup.interval_hours: expected ≥0, got -6');
    throwsConfig(() => parseConfig({ backup: { keep: 0 } }), 'backup.keep: expected ≥1, got 0');
  });

  it('validates agents through parseAgentSpec and resolves aliases, refusing loops and unknown names', () => {
    const c = parseConfig(
      {
        agents: { claude: { kind: 'claude-code', maxTurns: 3 }, 'devops-engineer': 'claude', sim: { kind: 'dry-run', durationMs: 5 } },
        default_agent: 'sim',
        model: 'claude-x',
      },
      'config',
      { env: {} },
    );
    const devops = agentSpecFor(c, 'devops-engineer');
    assert.equal(devops.kind, 'claude-code');
    assert.equal((devops as { model?: string }).model, 'claude-x');
    assert.equal(devops.name, 'claude');
    assert.equal(agentSpecFor(c, 'frontend-development').kind, 'dry-run');
    throwsConfig(() => parseConfig({ agents: { a: 'b', b: 'a' } }), 'agents.a: aliases form a loop (a → b → a)');
    throwsConfig(() => parseConfig({ agents: { a: 'nope' } }), 'agents.a: expected the name of another agent', '"nope"');
    throwsConfig(() => parseConfig({ agents: { x: { kind: 'dry-run', failureRate: 3 } } }), 'agents.x', 'failureRate');
    throwsConfig(() => parseConfig({ agents: { x: { kind: 'dry-run', name: 'y' } } }), 'agents.x.name');
  });

  it('applies a profile chosen by option, CODITECT_PROFILE or the file, and names an unknown one', () => {
    const raw = {
      max_concurrent_agents: 2,
      profile: 'dev',
      profiles: { dev: { max_concurrent_agents: 1 }, prod: { max_concurrent_agents: 16, retry: { max_attempts: 2 } } },
    };
    assert.equal(parseConfig(raw, 'c', { env: {} }).maxConcurrentAgents, 1);
    const prod = parseConfig(raw, 'c', { env: { CODITECT_PROFILE: 'prod' } });
    assert.equal(prod.maxConcurrentAgents, 16);
    assert.equal(prod.retry.maxAttempts, 2);
    assert.equal(prod.retry.initialDelayMs, 1000, 'deep merge keeps unspecified keys');
    assert.equal(parseConfig(raw, 'c', { env: {}, profile: 'prod' }).profile, 'prod');
    throwsConfig(() => parseConfig(raw, 'c', { env: {}, profile: 'staging' }), 'no profile "staging"', 'dev, prod');
    throwsConfig(
      () => parseConfig({ profiles: { p: { retry: { max_attempts: -3 } } } }, 'c', { env: {}, profile: 'p' }),
      'retry.max_attempts: expected ≥0, got -3',
    );
  });

  it('loads a JSON file, resolves cwd against it, and reports unreadable or malformed files by path', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ cwd: 'work', timeouts: { per_agent_type: { 'devops-engineer': 30 } } }));
    const c = loadConfig(file, { env: {} });
    assert.equal(c.cwd, path.join(dir, 'work'));
    assert.equal(c.source, file);
    assert.equal(timeoutMsFor(c, 'devops-engineer'), 30 * 60_000);
    assert.equal(timeoutMsFor(c, 'other'), 120 * 60_000);
    assert.equal(timeoutMsFor(c, 'devops-engineer', 1), 60_000);
    throwsConfig(() => loadConfig(path.join(dir, 'missing.json')), 'missing.json', 'no such file');
    writeFileSync(file, '{ "retry": ');
    throwsConfig(() => loadConfig(file), file, 'not valid JSON');
    assert.equal(loadConfig(undefined, { env: {} }).maxConcurrentAgents, 4);
  });

  it('refuses what JSON.parse takes but a config must not hold, naming the file and the key: __proto__ keys, 1e309, deep nesting', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{ "agents": { "__proto__": { "kind": "command", "executable": "sh" } } }');
    throwsConfig(() => loadConfig(file), file, 'agents.__proto__: "__proto__" is not allowed as a key');
    writeFileSync(file, '{ "profiles": { "p": { "constructor": {} } } }');
    throwsConfig(() => loadConfig(file), file, 'profiles.p.constructor: "constructor" is not allowed');
    writeFileSync(file, '{ "timeouts": { "kill_grace_ms": 1e309 } }');
    throwsConfig(() => loadConfig(file), file, 'timeouts.kill_grace_ms: a number too large to represent (it reads as Infinity)');
    // 5,000 levels overflowed the stack of the schema walk: "Maximum call stack size exceeded", without the file.
    writeFileSync(file, `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    throwsConfig(() => loadConfig(file), file, 'nested deeper than 32 levels');
    writeFileSync(file, `{ "agents": ${'['.repeat(100_000)}${']'.repeat(100_000)} }`);
    throwsConfig(() => loadConfig(file), file, 'nested deeper than 32 levels');
  });

  it('merges editor settings over the file and validates them by name', () => {
    const c = parseConfig({ agent_limits: { max_per_type: { a: 1 } }, agents: { sim: { kind: 'dry-run' } } }, 'c', { env: {} });
    const m = mergeSettings(c, {
      maxConcurrentAgents: 9,
      maxPerType: { b: 2 },
      retryMaxAttempts: 1,
      timeoutMinutes: 5,
      metricsPort: 0,
      defaultAgent: 'sim',
      model: 'm1',
    });
    assert.equal(m.maxConcurrentAgents, 9);
    assert.deepEqual(m.agentLimits.maxPerType, { a: 1, b: 2 });
    assert.equal(m.retry.maxAttempts, 1);
    assert.equal(m.timeouts.defaultMinutes, 5);
    assert.equal(m.metrics.port, 0);
    assert.equal(m.defaultAgent, 'sim');
    assert.equal(m.model, 'm1');
    assert.equal(c.maxConcurrentAgents, 4, 'the original is untouched');
    throwsConfig(() => mergeSettings(c, { maxConcurrentAgents: 0 }), 'settings.maxConcurrentAgents: expected an integer from 1 to 1000, got 0');
    throwsConfig(() => mergeSettings(c, { defaultAgent: 'ghost' }), 'settings.defaultAgent', '"ghost"');
    throwsConfig(() => mergeSettings(c, { retryInitialDelayMs: 50_000 }), 'settings.retryMaxDelayMs');
  });

  it('accepts a plan-style file: orchestrator/dispatcher/monitoring sections and environments', () => {
    const raw = {
      orchestrator: {
        max_concurrent_agents: 6,
        task_timeout_minutes: 90,
        max_retries: 2,
        retry_delay_seconds: 2,
        default_agent: 'general-purpose',
        poll_interval_seconds: 1,
      },
      monitoring: { metrics_port: 9100, enable_metrics: true, dashboards: ['x'] },
      dispatcher: { default_agent: 'generalist', batch_size: 10 },
      agent_limits: { max_per_type: { 'devops-engineer': 2 } },
      environments: { prod: { orchestrator: { max_concurrent_agents: 12 } } },
      environment: 'prod',
    };
    const c = parseConfig(raw, 'orchestrator-config.json', { env: {} });
    assert.equal(c.maxConcurrentAgents, 12);
    assert.equal(c.timeouts.defaultMinutes, 90);
    assert.equal(c.retry.maxAttempts, 2);
    assert.equal(c.retry.initialDelayMs, 2000);
    assert.equal(c.metrics.port, 9100);
    assert.equal(c.metrics.enabled, true);
    assert.equal(c.fallbackAgentType, 'general-purpose', "the plan's default agent is an agent type");
    assert.equal(c.defaultAgent, 'dry-run');
    assert.equal(c.profile, 'prod');
    assert.deepEqual(c.warnings.sort(), [
      'dispatcher.batch_size: not used by this engine (ignored)',
      'dispatcher.default_agent: ignored, fallback_agent_type is also set',
      'monitoring.dashboards: not used by this engine (ignored)',
      'orchestrator.poll_interval_seconds: not used by this engine (ignored)',
    ]);
    assert.equal(parseConfig({ orchestrator: { default_agent: 'claude-code' } }, 'c', { env: {} }).defaultAgent, 'claude-code');
    // Errors name the key as written in the section.
    throwsConfig(() => parseConfig({ orchestrator: { max_concurrent_agents: 0 } }), 'orchestrator.max_concurrent_agents: expected ≥1, got 0');
    throwsConfig(
      () => parseConfig({ orchestrator: { retry_delay_seconds: 'soon' } }),
      'orchestrator.retry_delay_seconds (as retry.initial_delay_ms): expected number, got "soon"',
    );
    throwsConfig(() => parseConfig({ monitoring: 5 }), 'monitoring: expected an object');
  });

  it('allows a per-type limit of 0 (that type waits)', () => {
    assert.equal(parseConfig({ agent_limits: { max_per_type: { risky: 0 } } }, 'c', { env: {} }).agentLimits.maxPerType.risky, 0);
    throwsConfig(() => parseConfig({ agent_limits: { max_per_type: { risky: -1 } } }), 'agent_limits.max_per_type.risky: expected ≥0, got -1');
  });

  it('gives routeTask its maps', () => {
    const c = parseConfig(
      { agent_mappings: { qa: ['test'] }, epic_fallbacks: { E1: 'x' }, agent_priority_overrides: { T1: 'y' }, fallback_agent_type: 'gp' },
      'c',
      { env: {} },
    );
    assert.deepEqual(routingConfigOf(c), { agentMappings: { qa: ['test'] }, epicFallbacks: { E1: 'x' }, priorityOverrides: { T1: 'y' }, defaultAgent: 'gp' });
    throwsConfig(() => parseConfig({ agent_mappings: { qa: ['--'] } }), 'agent_mappings.qa.0');
  });

  it('reads the plan\'s agent_mappings rows ("a|b|c": agent), mixed with keyword lists; epic fallbacks default to the plan\'s', () => {
    const c = parseConfig(
      {
        agent_mappings: {
          'infrastructure|deployment|docker|kubernetes': 'devops-engineer',
          'security|authentication|compliance': 'security-specialist',
          'ui|frontend|component|react': 'frontend-development-agent',
          'docker|helm': 'devops-engineer',
          qa: ['flaky'],
        },
      },
      'c',
      { env: {} },
    );
    // The file's rows give their agent types' keywords, first; the built-in types they do not name follow as shipped.
    const named = ['devops-engineer', 'security-specialist', 'frontend-development-agent', 'qa'];
    assert.deepEqual(c.agentMappings, {
      'devops-engineer': ['infrastructure', 'deployment', 'docker', 'kubernetes', 'helm'],
      'security-specialist': ['security', 'authentication', 'compliance'],
      'frontend-development-agent': ['ui', 'frontend', 'component', 'react'],
      qa: ['flaky'],
      ...Object.fromEntries(Object.entries(DEFAULT_AGENT_MAPPINGS).filter(([agent]) => !named.includes(agent))),
    });
    assert.deepEqual(Object.keys(c.agentMappings).slice(0, 4), named);
    // A map of keyword lists alone still replaces the built-in one.
    assert.deepEqual(parseConfig({ agent_mappings: { qa: ['flaky'] } }, 'c', { env: {} }).agentMappings, { qa: ['flaky'] });
    assert.deepEqual(c.epicFallbacks, { E001: 'backend-development', E008: 'security-specialist' });
    throwsConfig(() => parseConfig({ agent_mappings: { 'docker||helm': 'devops-engineer' } }), 'agent_mappings["docker||helm"]: alternative 2');
  });

  it('isolation: documented defaults, relative paths resolved against the workspace, bad values named', () => {
    const d = parseConfig({}, 'c', { env: {}, baseDir: '/ws' }).isolation;
    assert.deepEqual(d, {
      mode: undefined,
      baseBranch: undefined,
      worktree: { dir: undefined, branchPrefix: 'coditect/', copy: [], link: [], setup: undefined, branchRetentionDays: 7 },
      merge: {
        strategy: 'merge',
        verify: undefined,
        policy: 'auto',
        policyOverrides: {},
        author: { name: 'CODITECT', email: 'coditect@localhost' },
        onConflict: 'review',
      },
    });
    const c = parseConfig(
      {
        isolation: 'worktree',
        base_branch: 'develop',
        worktree: {
          dir: 'wt',
          branch_prefix: 'agents',
          copy: ['.env', 'config/local.json/'],
          link: ['node_modules'],
          setup: 'npm ci',
          branch_retention_days: 0,
        },
        merge: {
          strategy: 'rebase',
          verify: 'npm test',
          policy: 'review',
          policy_overrides: { E001: 'auto' },
          author: 'Bot Person <bot@example.com>',
          on_conflict: 'agent',
        },
      },
      'c',
      { env: {}, baseDir: '/ws' },
    ).isolation;
    assert.equal(c.mode, 'worktree');
    assert.equal(c.baseBranch, 'develop');
    assert.equal(c.worktree.dir, '/ws/wt');
    assert.equal(c.worktree.branchPrefix, 'agents/');
    assert.deepEqual(c.worktree.copy, ['.env', 'config/local.json']);
    assert.deepEqual(c.merge.author, { name: 'Bot Person', email: 'bot@example.com' });
    assert.deepEqual(c.merge.policyOverrides, { E001: 'auto' });
    assert.equal(c.merge.onConflict, 'agent');
    throwsConfig(() => parseConfig({ merge: { on_conflict: 'merge' } }), 'merge.on_conflict', '"merge"');
    throwsConfig(() => parseConfig({ isolation: 'docker' }), 'isolation: expected one of worktree, none, got "docker"');
    throwsConfig(() => parseConfig({ worktree: { copy: ['../secrets'] } }), 'worktree.copy.0', 'inside the repository', '"../secrets"');
    throwsConfig(() => parseConfig({ worktree: { link: ['.git/hooks'] } }), 'worktree.link.0', '".git/hooks"');
    throwsConfig(() => parseConfig({ worktree: { branch_prefix: 'bad prefix' } }), 'worktree.branch_prefix', '"bad prefix"');
    throwsConfig(() => parseConfig({ merge: { strategy: 'squash' } }), 'merge.strategy: expected one of merge, rebase, got "squash"');
    throwsConfig(() => parseConfig({ merge: { policy_overrides: { T1: 'later' } } }), 'merge.policy_overrides.T1', '"later"');
    throwsConfig(() => parseConfig({ merge: { author: 'no email' } }), 'merge.author', 'Name <email>');
    throwsConfig(() => parseConfig({ worktree: { keep: 1 } }), 'worktree.keep: unknown option');
  });
});
