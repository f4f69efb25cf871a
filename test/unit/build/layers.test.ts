import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The layering check is what keeps `vscode` out of the engine and the database out of the extension host.
describe('layering check', () => {
  let checkLayers: (root: string) => string[];
  before(async () => {
    ({ checkLayers } = await import('../../../scripts/checkLayers.mjs'));
  });

  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'layers-'));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    return root;
  }

  it('passes on the real source tree', () => {
    assert.deepEqual(checkLayers(process.cwd()), []);
  });

  it('rejects fs, vscode and engine imports in the pure core', () => {
    const root = tree({
      'src/core/a.ts': "import * as fs from 'node:fs';\nimport * as vscode from 'vscode';\nimport { x } from '../engine/db';\n",
    });
    const problems = checkLayers(root);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0], /src\/core\/a\.ts:1: .*node:fs/);
    assert.match(problems[1], /src\/core\/a\.ts:2: .*vscode/);
    assert.match(problems[2], /src\/core\/a\.ts:3: .*src\/engine\/db/);
  });

  it('rejects better-sqlite3 and engine code in the editor layer, vscode in the engine', () => {
    const root = tree({
      'src/extension/e.ts': "import Database from 'better-sqlite3';\nimport { Store } from '../engine/store';\n",
      'src/engine/x.ts': "const v = require('vscode');\n",
    });
    const problems = checkLayers(root).join('\n');
    assert.match(problems, /src\/extension\/e\.ts:1: .*better-sqlite3/);
    assert.match(problems, /src\/extension\/e\.ts:2: .*engine/);
    assert.match(problems, /src\/engine\/x\.ts:1: .*vscode/);
  });
});
