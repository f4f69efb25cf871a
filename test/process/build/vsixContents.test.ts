import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

/** What `vsce ls` says the VSIX would hold (the same file selection `npm run package` uses). */
function vsixFiles(): string[] {
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const out = execFileSync(process.execPath, [vsce, 'ls', '--no-yarn'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** better-sqlite3 and the packages it requires at run time (its install-time tooling excluded). */
function runtimeClosure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (dep === 'prebuild-install') continue; // fetches/builds the addon at install time; never loaded after
    runtimeClosure(dep, seen);
  }
  return seen;
}

/** Keys whose string values in `contributes` are files of the extension (icons, walkthrough media, grammars…). */
const FILE_KEYS = new Set(['icon', 'light', 'dark', 'image', 'markdown', 'svg', 'path']);

/**
 * Every file the manifest names: `main`, `browser`, `icon`, and each file-valued key anywhere under `contributes`
 * (an icon is a path or `{ light, dark }`; `$(codicon)` names and URLs are not files). `bin` is left out: it is for
 * the npm package of the CLI, VS Code never reads it.
 */
function manifestFiles(pkg: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string' && v && !v.startsWith('$(') && !/^[a-z]+:/i.test(v)) out.add(v.replace(/^\.\//, ''));
  };
  for (const k of ['main', 'browser', 'icon']) add(pkg[k]);
  const walk = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) for (const x of node) walk(x, key);
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) walk(v, FILE_KEYS.has(k) || (key !== undefined && FILE_KEYS.has(key)) ? k : undefined);
    else if (key !== undefined) add(node);
  };
  walk(pkg.contributes);
  return [...out].sort();
}

describe('VSIX contents (.vscodeignore through vsce ls)', function () {
  this.timeout(120_000);
  let files: string[];
  before(function () {
    if (!existsSync(join(root, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
    files = vsixFiles();
  });

  it('holds the manifest, the extension bundle and the native database module', () => {
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/extension.js',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/better-sqlite3/lib/index.js',
    ]) {
      assert.ok(files.includes(f), `${f} is not in the VSIX`);
    }
  });

  it('holds every file the manifest names (activity-bar and view icons, walkthrough media, the entry point)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const named = manifestFiles(pkg);
    assert.ok(named.includes('resources/icons/coditect.svg'), `the activity-bar icon is among the named files: ${named.join(', ')}`);
    for (const f of named) assert.ok(existsSync(join(root, f)), `package.json names ${f}, which does not exist`);
    const missing = named.filter((f) => !files.includes(f));
    assert.deepEqual(missing, [], `named by package.json but left out of the VSIX by .vscodeignore: ${missing.join(', ')}`);
  });

  it('holds every file better-sqlite3 loads at run time, with each runtime dependency', () => {
    for (const name of runtimeClosure('better-sqlite3')) {
      const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
      const main = join('node_modules', name, pkg.main ?? 'index.js').replace(/\\/g, '/');
      const mainFile = existsSync(join(root, main)) ? main : `${main}.js`;
      assert.ok(files.includes(`node_modules/${name}/package.json`), `node_modules/${name}/package.json is not in the VSIX`);
      assert.ok(files.includes(mainFile), `${mainFile} (main of ${name}) is not in the VSIX`);
    }
  });

  it('ships every built bundle that exists, with no migration folder (the bundles embed their migrations)', () => {
    for (const f of ['dist/engine.js', 'dist/cli.js', 'dist/webview/main.js']) {
      if (existsSync(join(root, f))) assert.ok(files.includes(f), `${f} was built but is not in the VSIX`);
    }
    assert.deepEqual(
      files.filter((f) => f.endsWith('.sql')),
      [],
    );
  });

  it('leaves out sources, tests, source maps, the benchmark and build-only packages', () => {
    const unwanted = files.filter(
      (f) =>
        f.endsWith('.map') ||
        f.endsWith('.ts') ||
        /^(src|test|webview-ui|scripts|out|docs|\.vscode-test|test-artifacts)\//.test(f) ||
        f === 'dist/bench.js' ||
        /^node_modules\/(prebuild-install|@vscode|typescript|esbuild|mocha|playwright-core)\//.test(f) ||
        /^node_modules\/better-sqlite3\/(src|deps|build\/Release\/(obj|obj\.target)|build\/Release\/test_extension)/.test(f),
    );
    assert.deepEqual(unwanted, []);
  });

  it('ships from node_modules only better-sqlite3 and what it loads (the rest is bundled by esbuild)', () => {
    const allowed = runtimeClosure('better-sqlite3');
    const shipped = new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/')[1]));
    assert.deepEqual([...shipped].sort(), [...allowed].sort());
  });
});
