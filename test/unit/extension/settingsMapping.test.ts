import * as assert from 'node:assert/strict';
import { engineDbPath, engineSettingsFrom, type SettingsReader } from '../../../src/extension/settingsMapping';

function reader(values: Record<string, unknown>): SettingsReader {
  return { get: (k) => values[k], isSet: (k) => k in values };
}

describe('editor settings → engine settings', () => {
  it('sends only what a person set, so the config file keeps the rest', () => {
    assert.deepEqual(engineSettingsFrom(reader({})), { settings: {}, problems: [] });
    const { settings } = engineSettingsFrom(
      reader({
        'agents.maxConcurrent': 8,
        'agents.maxPerType': { 'devops-engineer': 2 },
        'agents.default': 'dry-run',
        'retry.maxAttempts': 3,
        timeoutMinutes: 30,
        metricsPort: 9464,
      }),
    );
    assert.deepEqual(settings, {
      maxConcurrentAgents: 8,
      maxPerType: { 'devops-engineer': 2 },
      defaultAgent: 'dry-run',
      retryMaxAttempts: 3,
      timeoutMinutes: 30,
      metricsPort: 9464,
    });
  });

  it('treats an empty default agent or model as "automatic"', () => {
    assert.deepEqual(engineSettingsFrom(reader({ 'agents.default': '', 'agents.model': '' })).settings, {});
  });

  it('skips bad values with a problem that names the setting and the value', () => {
    const { settings, problems } = engineSettingsFrom(reader({ 'agents.maxConcurrent': 0, metricsPort: 70000, 'agents.maxPerType': { a: -1, b: 2 } }));
    assert.deepEqual(settings, { maxPerType: { b: 2 } });
    assert.ok(
      problems.some((p) => p.includes('coditect.agents.maxConcurrent') && p.includes('got 0')),
      problems.join('\n'),
    );
    assert.ok(problems.some((p) => p.includes('coditect.metricsPort') && p.includes('70000')));
    assert.ok(problems.some((p) => p.includes('coditect.agents.maxPerType.a')));
  });

  it('takes the ranges of the config file: a per-type limit over 1000 is refused, a day-long backoff cap is taken', () => {
    const { settings, problems } = engineSettingsFrom(reader({ 'agents.maxPerType': { a: 1001 }, 'retry.maxDelayMs': 86_400_000 }));
    assert.deepEqual(settings, { maxPerType: {}, retryMaxDelayMs: 86_400_000 });
    assert.deepEqual(problems, ['coditect.agents.maxPerType.a must be an integer from 0 to 1000, got 1001']);
  });

  it('rejects a backoff whose cap is below its start', () => {
    const { settings, problems } = engineSettingsFrom(reader({ 'retry.initialDelayMs': 5000, 'retry.maxDelayMs': 1000 }));
    assert.deepEqual(settings, {});
    assert.match(problems[0], /retry\.maxDelayMs \(1000\) is below coditect\.retry\.initialDelayMs \(5000\)/);
  });

  it("keeps an untrusted workspace's database in the extension's storage, never in the folder", () => {
    const root = '/work/project';
    const storage = '/home/me/.vscode/workspaceStorage/abc/coditect.coditect-orchestrator/untrusted';
    assert.equal(engineDbPath({ workspaceRoot: root, trusted: true, untrustedDir: storage }), undefined, 'trusted: the engine picks .coditect/context.db');
    assert.equal(engineDbPath({ workspaceRoot: root, trusted: false, untrustedDir: storage }), `${storage}/context.db`);
    assert.equal(engineDbPath({ setting: ' db/ctx.db ', workspaceRoot: root, trusted: true }), '/work/project/db/ctx.db');
    // A user-level setting is the person's own choice and applies untrusted too (workspace values are ignored there).
    assert.equal(engineDbPath({ setting: '/data/ctx.db', workspaceRoot: root, trusted: false, untrustedDir: storage }), '/data/ctx.db');
    assert.equal(engineDbPath({ setting: '  ', workspaceRoot: root, trusted: false }), undefined, 'no storage: as before');
  });
});
