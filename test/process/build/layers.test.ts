import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The layering check is what keeps `vscode` out of the engine and the database out of the extension host. It reads
// imports with the TypeScript parser, so every form of import counts, however it is written.
describe('layering check', () => {
  let checkLayers: (root: string) => string[];
  let checkImports: (root: string) => string[];
  let checkTsconfigs: (root: string) => string[];
  const roots: string[] = [];
  before(async () => {
    ({ checkLayers, checkImports, checkTsconfigs } = await import('../../../scripts/checkLayers.mjs'));
  });
  after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'layers-'));
    roots.push(root);
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    return root;
  }

  it('passes on the real source tree, tsconfigs included', function () {
    // Parses every source and test file: ~4 s of CPU, but 20 s of wall time on a loaded 2-core machine (a CI run
    // timed out at the default 20 s while other suites ran beside it).
    this.timeout(120_000);
    assert.deepEqual(checkLayers(process.cwd()), []);
  });

  it('rejects fs, vscode and engine imports in the pure core', () => {
    const root = tree({
      'src/core/a.ts': "import * as fs from 'node:fs';\nimport * as vscode from 'vscode';\nimport { x } from '../engine/db';\n",
    });
    const problems = checkImports(root);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0], /src\/core\/a\.ts:1: .*node:fs/);
    assert.match(problems[1], /src\/core\/a\.ts:2: .*vscode/);
    assert.match(problems[2], /src\/core\/a\.ts:3: .*src\/engine\/db/);
  });

  it('sees imports split over lines, import type, import(), require(), re-exports and typeof import()', () => {
    const root = tree({
      'src/core/multi.ts': "import {\n  window,\n  workspace,\n} from 'vscode';\n",
      'src/core/types.ts': "import type {\n  Store,\n} from '../engine/store';\n",
      'src/core/typeofImport.ts': "export type Db = typeof import('better-sqlite3');\n",
      'src/protocol/reexport.ts': "export {\n  x,\n} from '../engine/x';\nexport * from '../extension/y';\n",
      'src/extension/lazy.ts': "export async function f() {\n  return await import(\n    'better-sqlite3'\n  );\n}\n",
      'src/engine/req.ts': "const v = require(\n  'vscode'\n);\n",
      'webview-ui/page.ts': "import { readFileSync } from 'fs';\n",
    });
    const problems = checkImports(root).join('\n');
    assert.match(problems, /src\/core\/multi\.ts:1: core must not import 'vscode' \(import\)/);
    assert.match(problems, /src\/core\/types\.ts:1: core must not import src\/engine\/store.* \(import type\)/);
    assert.match(problems, /src\/core\/typeofImport\.ts:1: .*'better-sqlite3' \(import\(\) type\)/);
    assert.match(problems, /src\/protocol\/reexport\.ts:1: .*src\/engine\/x.* \(re-export\)/);
    assert.match(problems, /src\/protocol\/reexport\.ts:4: .*src\/extension\/y.* \(re-export\)/);
    assert.match(problems, /src\/extension\/lazy\.ts:2: .*'better-sqlite3' \(import\(\)\)/);
    assert.match(problems, /src\/engine\/req\.ts:1: .*'vscode' \(require\(\)\)/);
    assert.match(problems, /webview-ui\/page\.ts:1: .*'fs'.*runs without Node/);
  });

  it('holds tests to the layers of the code they test, and keeps vscode out of every plain-Node test', () => {
    const root = tree({
      'src/extension/ui.ts': "import * as vscode from 'vscode';\nexport const x = vscode.window;\n",
      'src/extension/text.ts': "import type { Uri } from 'vscode';\nexport const f = (u: Uri) => u.path;\n",
      'test/unit/core/a.test.ts': "import {\n  run,\n} from '../../../src/engine/runner';\n",
      'test/unit/extension/ui.test.ts': "import { x } from '../../../src/extension/ui';\n",
      'test/unit/extension/text.test.ts': "import { f } from '../../../src/extension/text';\n",
      'test/integration/ui.test.ts': "import { x } from '../../src/extension/ui';\nimport * as vscode from 'vscode';\n",
    });
    const problems = checkImports(root);
    const text = problems.join('\n');
    assert.match(text, /test\/unit\/core\/a\.test\.ts:1: core tests must not import src\/engine\/runner/);
    assert.match(text, /test\/unit\/extension\/ui\.test\.ts:1: runs in plain Node but loads vscode through src\/extension\/ui\.ts:1/);
    assert.doesNotMatch(text, /text\.test\.ts/, 'a type-only vscode import is not loaded at run time');
    assert.doesNotMatch(text, /test\/integration\/ui/, `the editor tests run inside VS Code:\n${text}`);
    assert.equal(problems.length, 2, text);
  });

  it("requires each layer's tsconfig to hide the platform the layer may not use", () => {
    const ok = { compilerOptions: { lib: ['ES2022'], types: [] } };
    const root = tree({
      'src/core/tsconfig.json': JSON.stringify({ compilerOptions: { lib: ['ES2022', 'DOM'], types: ['node'] } }),
      'src/protocol/tsconfig.json': JSON.stringify(ok),
      'src/engine/tsconfig.json': JSON.stringify({ compilerOptions: { lib: ['ES2022'], types: ['node'] } }),
      'src/extension/tsconfig.json': JSON.stringify({ compilerOptions: { types: ['node', 'vscode'] } }),
      'webview-ui/tsconfig.json': JSON.stringify({ compilerOptions: { lib: ['ES2022', 'DOM'], types: [] } }),
    });
    const problems = checkTsconfigs(root).join('\n');
    assert.match(problems, /src\/core\/tsconfig\.json: "lib" must not include DOM/);
    assert.match(problems, /src\/core\/tsconfig\.json: "types" must be \[\]/);
    assert.match(problems, /src\/extension\/tsconfig\.json: must set "lib"/);
    assert.doesNotMatch(problems, /protocol|engine|webview/);
  });
});
