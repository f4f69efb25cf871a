import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';

// `publisher.name` from package.json: what VS Code knows the extension by, whether loaded from the source
// tree (extensionDevelopmentPath) or installed from the VSIX.
const EXTENSION_ID = 'coditect.coditect-orchestrator';

describe('smoke: the extension in a real extension host', () => {
  it('is installed under its publisher.name', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} not found; loaded: ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
  });

  it('is loaded from the source tree, or from the installed VSIX when the launcher installed one', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    // An installed extension lives in `<extensions dir>/<publisher.name>-<version>`; a development one wherever
    // extensionDevelopmentPath points (the repository). CODITECT_EXPECT_INSTALLED is set by `runIntegration --vsix`.
    const installed = `${EXTENSION_ID}-${ext.packageJSON.version}`;
    const expectInstalled = process.env.CODITECT_EXPECT_INSTALLED === '1';
    assert.equal(ext.extensionPath.endsWith(installed), expectInstalled, `loaded from ${ext.extensionPath}`);
  });

  it('activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers coditect.showVersion, which returns the manifest version', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('coditect.showVersion'), 'coditect.showVersion is not registered');
    const version = await vscode.commands.executeCommand<string>('coditect.showVersion');
    assert.equal(version, vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.version);
  });

  it('ships a better-sqlite3 that loads in the Node runtime the engine runs on', () => {
    // The engine (not the extension host, which may be Electron with another ABI) opens the database, on `node`
    // from PATH by default; a VSIX missing the addon or one of its loaders fails here.
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const module = join(ext.extensionPath, 'node_modules', 'better-sqlite3');
    const script = `const D = require(${JSON.stringify(module)}); const db = new D(':memory:'); process.stdout.write(String(db.prepare('select 41 + 1 as n').get().n)); db.close();`;
    assert.equal(execFileSync('node', ['-e', script], { encoding: 'utf8', timeout: 30_000 }), '42');
  });
});
