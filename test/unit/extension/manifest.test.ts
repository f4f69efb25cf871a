import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LENS_COMMANDS } from '../../../src/extension/lensText';
import { ENGINE_SETTINGS } from '../../../src/protocol/engineSettings';
import { DASHBOARD_COMMANDS } from '../../../src/protocol/webviewProtocol';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const contributed = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
const settings = pkg.contributes.configuration.properties as Record<string, { default?: unknown; markdownDescription?: string; description?: string }>;

describe('extension manifest (package.json) against the editor code', () => {
  it('declares every command the lenses, the tree and the menus invoke', () => {
    for (const c of Object.values(LENS_COMMANDS)) assert.ok(contributed.has(c), `${c} is not in contributes.commands`);
    for (const c of Object.keys(DASHBOARD_COMMANDS)) assert.ok(contributed.has(c), `the dashboard runs ${c}, which is not in contributes.commands`);
    for (const [menu, items] of Object.entries(pkg.contributes.menus as Record<string, { command: string }[]>)) {
      for (const i of items) assert.ok(contributed.has(i.command), `${menu} names ${i.command}, which is not contributed`);
    }
  });

  it('declares every engine setting with a default and a description', () => {
    for (const { key } of Object.values(ENGINE_SETTINGS)) {
      const s = settings[`coditect.${key}`];
      assert.ok(s, `coditect.${key} is not contributed`);
      assert.ok('default' in s, `coditect.${key} has no default`);
      assert.ok((s.markdownDescription ?? s.description ?? '').length > 20, `coditect.${key} has no real description`);
    }
    for (const key of ['tasklist', 'dbPath', 'runtimePath', 'codeLens.enabled']) assert.ok(settings[`coditect.${key}`], `coditect.${key} is not contributed`);
  });

  it('gives each engine setting the type, range and default of its descriptor (src/protocol/engineSettings.ts)', () => {
    for (const spec of Object.values(ENGINE_SETTINGS)) {
      const s = settings[`coditect.${spec.key}`] as Record<string, unknown>;
      const where = `package.json contributes.configuration coditect.${spec.key}`;
      assert.deepEqual(s.default, spec.default, `${where}: default`);
      if (spec.kind === 'integer') {
        assert.deepEqual([s.type, s.minimum, s.maximum], ['integer', spec.minimum, spec.maximum], `${where}: type, minimum, maximum`);
      } else if (spec.kind === 'integerMap') {
        assert.equal(s.type, 'object', `${where}: type`);
        assert.deepEqual(s.additionalProperties, { type: 'integer', minimum: spec.minimum, maximum: spec.maximum }, `${where}: additionalProperties`);
      } else {
        assert.equal(s.type, 'string', `${where}: type`);
      }
    }
  });

  it('activates on task lists and runs read-only in untrusted workspaces', () => {
    assert.ok(pkg.activationEvents.includes('workspaceContains:**/*TASKLIST*.md'));
    assert.ok(pkg.activationEvents.includes('workspaceContains:**/tasks.md'));
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(
      pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('coditect.runtimePath'),
      'a workspace must not pick the binary the engine runs on',
    );
    const runCommands = ['coditect.start', 'coditect.runTask', 'coditect.runTaskWithAgent', 'coditect.runNext', 'coditect.retryFailed'];
    for (const c of runCommands) {
      const decl = pkg.contributes.commands.find((x: { command: string }) => x.command === c);
      assert.equal(decl.enablement, 'isWorkspaceTrusted', `${c} must be disabled in Restricted Mode`);
    }
  });

  it('gives the activity bar container an icon file that exists and draws with currentColor', () => {
    const container = pkg.contributes.viewsContainers.activitybar.find((c: { id: string }) => c.id === 'coditect');
    const svg = readFileSync(join(root, container.icon), 'utf8');
    assert.match(svg, /currentColor/);
  });
});
