// Keeps the configuration docs honest: the shipped example file and every config block in docs/configuration.md
// must load with the real loader (each of their profiles too), the documented error must be the error the loader
// gives, and every plan-style key the loader maps must be documented.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, LEGACY_KEYS, loadConfig, parseConfig } from '../../../src/engine/config';
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
