// Keeps the configuration docs honest: the shipped example file and every config block in docs/configuration.md
// must load with the real loader (each of their profiles too), the documented error must be the error the loader
// gives, and every plan-style key the loader maps must be documented.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, parseConfig, routingConfigOf } from '../../../src/engine/config';
import { routeTask } from '../../../src/core/routing';
import { taskList } from '../core/taskListBuilder';
import { ConfigError } from '../../../src/engine/config/configErrors';
import { LEGACY_KEYS } from '../../../src/engine/config/planStyleKeys';
import { errorMessage } from '../../../src/core/describe';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DOC = path.join(ROOT, 'docs', 'configuration.md');
const EXAMPLE = path.join(ROOT, 'resources', 'examples', 'config.example.json');

/** A fenced code block of the doc: its info string, its text and the 1-based line of its opening fence. */
interface Block {
  info: string;
  text: string;
  line: number;
}

function codeBlocks(markdown: string): Block[] {
  const lines = markdown.split(/\r?\n/);
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    out.push({ info: open[1].trim(), text: body.join('\n'), line: start + 1 });
  }
  return out;
}

/** Profile names of a raw config, in either spelling. */
function profileNames(raw: unknown): string[] {
  const r = raw as { profiles?: Record<string, unknown>; environments?: Record<string, unknown> };
  return Object.keys(r.profiles ?? r.environments ?? {});
}

describe('configuration docs and example', () => {
  const doc = readFileSync(DOC, 'utf8');
  const blocks = codeBlocks(doc);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'coditect-config-doc-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resources/examples/config.example.json loads, with no warnings, under every profile', () => {
    const raw: unknown = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const names = profileNames(raw);
    assert.deepEqual(names, ['dev', 'staging', 'prod']);
    const base = loadConfig(EXAMPLE, { env: {} });
    assert.deepEqual(base.warnings, []);
    assert.equal(base.defaultAgent, 'claude-api');
    for (const profile of names) {
      const c = loadConfig(EXAMPLE, { env: {}, profile });
      assert.equal(c.profile, profile);
      assert.deepEqual(c.warnings, [], `profile ${profile}`);
    }
    assert.equal(loadConfig(EXAMPLE, { env: {}, profile: 'dev' }).defaultAgent, 'simulated');
    assert.equal(loadConfig(EXAMPLE, { env: {}, profile: 'prod' }).agentLimits.maxPerType['devops-engineer'], 4);
  });

  it('the complete example in the doc is the example file', () => {
    const example: unknown = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const inDoc = blocks.filter((b) => b.info === 'json config').map((b) => JSON.parse(b.text) as unknown);
    assert.ok(
      inDoc.some((b) => JSON.stringify(b) === JSON.stringify(example)),
      'docs/configuration.md should show resources/examples/config.example.json verbatim in a ```json config block',
    );
  });

  it('every ```json config block of docs/configuration.md validates, under each of its profiles', () => {
    const configs = blocks.filter((b) => b.info === 'json config');
    assert.ok(configs.length >= 4, `expected at least 4 config blocks in the doc, found ${configs.length}`);
    for (const b of configs) {
      const where = `docs/configuration.md:${b.line}`;
      let raw: unknown;
      try {
        raw = JSON.parse(b.text);
      } catch (e) {
        assert.fail(`${where}: not valid JSON: ${errorMessage(e)}`);
      }
      const opts = { env: {}, baseDir: dir };
      assert.doesNotThrow(() => parseConfig(raw, where, opts), `${where} should validate`);
      for (const profile of profileNames(raw)) {
        assert.doesNotThrow(() => parseConfig(raw, where, { ...opts, profile }), `${where} with profile ${profile} should validate`);
      }
    }
  });

  it('the plan-style block maps its sections and warns about the key it ignores', () => {
    const planStyle = blocks.find((b) => b.info === 'json config' && b.text.includes('"orchestrator"'));
    assert.ok(planStyle, 'the doc should show a plan-style example');
    const c = parseConfig(JSON.parse(planStyle.text), 'plan', { env: {} });
    assert.equal(c.maxConcurrentAgents, 10);
    assert.equal(c.retry.initialDelayMs, 1000);
    assert.equal(c.fallbackAgentType, 'general-purpose');
    assert.deepEqual(c.warnings, ['orchestrator.log_level: not used by this engine (ignored)']);
    assert.equal(parseConfig(JSON.parse(planStyle.text), 'plan', { env: {}, profile: 'prod' }).maxConcurrentAgents, 20);
  });

  it('each ```json config-invalid block fails with exactly the message the doc prints after it', () => {
    const invalid = blocks.map((b, i) => ({ b, i })).filter(({ b }) => b.info === 'json config-invalid');
    assert.ok(invalid.length >= 1, 'the doc should show at least one invalid config');
    for (const { b, i } of invalid) {
      const shown = blocks.slice(i + 1).find((x) => x.info === 'text');
      assert.ok(shown, `docs/configuration.md:${b.line}: no \`\`\`text block with the error follows`);
      const m = /^coditect: (\S+): (.+)$/m.exec(shown.text);
      assert.ok(m, `docs/configuration.md:${shown.line}: expected a line "coditect: <file>: <problems>"`);
      const file = path.join(dir, path.basename(m[1]));
      writeFileSync(file, b.text);
      assert.throws(
        () => loadConfig(file, { env: {} }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
          assert.equal(e.message, `${file}: ${m[2]}`);
          return true;
        },
      );
    }
  });

  it('documents every plan-style key the loader maps', () => {
    for (const [section, keys] of Object.entries(LEGACY_KEYS)) {
      for (const key of Object.keys(keys)) {
        assert.ok(doc.includes(`\`${section}.${key}\``), `docs/configuration.md does not mention \`${section}.${key}\``);
      }
    }
  });
});

describe("the plan's own orchestrator-config.json", () => {
  const PLAN_FILE = path.join(ROOT, 'resources', 'config', 'orchestrator-config.json');

  it('runs as written: every key read, each doing what the plan says or saying why not', () => {
    const c = loadConfig(PLAN_FILE, { env: {} });
    assert.equal(c.version, '1.0.0');
    assert.equal(c.maxConcurrentAgents, 5);
    assert.equal(c.retry.maxAttempts, 3);
    assert.equal(c.retry.backoffBase, 2);
    assert.equal(c.healthCheckIntervalMs, 30_000);
    assert.deepEqual(
      { enabled: c.sync.enabled, json: c.sync.json_path, watch: c.sync.watch_interval_ms, debounce: c.sync.debounce_ms },
      { enabled: true, json: 'docs/project-management/v2-work-items.json', watch: 5000, debounce: 2000 },
    );
    assert.deepEqual(c.dispatch, { batch_size: 10, priority_weights: { P0: 100, P1: 50, P2: 25, P3: 10 } });
    assert.deepEqual(c.agentMappings['devops-engineer'], ['infrastructure', 'deployment', 'docker', 'kubernetes']);
    assert.deepEqual(c.agentMappings['database-architect'], ['database', 'schema', 'migration']);
    // Its 8 rows name 8 agent types; the plan's dispatcher table (AGENT_MAPPINGS, 13 types) supplies the other 5.
    assert.deepEqual(Object.keys(c.agentMappings), [
      'devops-engineer',
      'security-specialist',
      'backend-development',
      'frontend-development-agent',
      'testing-specialist',
      'codi-documentation-writer',
      'application-performance',
      'database-architect',
      'codebase-refactoring-specialist',
      'coditect-onboarding',
      'workflow-automation-specialist',
      'observability-platform',
      'license-management-specialist',
    ]);
    const routed = (title: string) => routeTask(taskList([{ id: 'T999.001', title }]).tasks[0], {}, routingConfigOf(c)).agent;
    assert.equal(routed('Set up Prometheus monitoring dashboards'), 'observability-platform');
    assert.equal(routed('Stripe billing for subscriptions'), 'license-management-specialist');
    assert.equal(routed('Refactor the tech debt'), 'codebase-refactoring-specialist');
    assert.equal(routed('Deploy RabbitMQ message bus'), 'devops-engineer');
    assert.deepEqual(c.metrics, { enabled: true, port: 9090, host: '127.0.0.1', grafana_dashboard_id: 'coditect-orchestrator', alert_on_failure_rate: 0.1 });
    assert.deepEqual(c.logging, { level: 'info', file: 'logs/orchestrator.log', max_bytes: 10485760, backup_count: 5 });
    assert.deepEqual(c.epicFallbacks, { E001: 'backend-development', E008: 'security-specialist' });
    assert.equal(c.checkpoint.intervalTasks, 10);
    assert.equal(c.sync.max_retries, 5, 'the plan sets no sync_daemon.max_retries in its file; the default');
    // Every key acts: nothing is read and left unused (test/process/cli/planConfigKeys.test.ts runs them).
    assert.deepEqual(c.warnings, []);
  });

  it("takes the plan's appendix keys: agent_limits.max_total is the global cap; weights in another order are named", () => {
    const c = parseConfig({ agent_limits: { max_total: 10, max_per_type: { 'security-specialist': 2 } } }, 'c', { env: {} });
    assert.equal(c.maxConcurrentAgents, 10);
    assert.deepEqual(c.agentLimits.maxPerType, { 'security-specialist': 2 });
    const both = parseConfig({ orchestrator: { max_concurrent_agents: 5 }, agent_limits: { max_total: 10 } }, 'c', { env: {} });
    assert.equal(both.maxConcurrentAgents, 5);
    assert.ok(both.warnings.some((w) => w.startsWith('agent_limits.max_total: ignored, orchestrator.max_concurrent_agents is also set')));
    const odd = parseConfig({ task_dispatcher: { priority_weights: { P0: 1, P1: 50 } } }, 'c', { env: {} });
    assert.deepEqual(odd.dispatch.priority_weights, { P0: 1, P1: 50 }, 'any ranking is taken (P1 first here)');
    assert.deepEqual(odd.warnings, []);
    assert.throws(() => parseConfig({ monitoring: { alert_on_failure_rate: 10 } }, 'c', { env: {} }), /monitoring\.alert_on_failure_rate: expected ≤1, got 10/);
    assert.throws(
      () => parseConfig({ orchestrator: { retry_backoff_base: 0.5 } }, 'c', { env: {} }),
      /orchestrator\.retry_backoff_base \(as retry\.backoff_base\)|orchestrator\.retry_backoff_base: expected ≥1/,
    );
  });
});
