import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';

// `publisher.name` from package.json: what VS Code knows the extension by, whether loaded from the source
// tree (extensionDevelopmentPath) or installed from the VSIX.
const EXTENSION_ID = 'coditect.coditect-orchestrator';

describe('smoke: the extension in a real extension host', () => {
  it('is installed under its publisher.name', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} not found; loaded: ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
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
});
