// Bundles each entry point on its own: the extension (runs in VS Code's extension host, `vscode` external),
// the engine process and the CLI (plain Node, own the database), the webview UI (browser), and the benchmark.
// better-sqlite3 stays external: it is a native module and ships in node_modules.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { embedMigrations } from './scripts/embedMigrations.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // ws's optional native speed-ups: it falls back to JavaScript without them.
  external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
  define: { __CODITECT_VERSION__: JSON.stringify(pkg.version) },
  // The schema migrations are embedded in the engine and CLI bundles (src/engine/db/migrationFiles.ts).
  plugins: [embedMigrations()],
};
// Bundles of an older build read their migrations from here; nothing does now.
rmSync('dist/migrations', { recursive: true, force: true });

/** Only entry points whose source exists are built, so the build works while layers are being added. */
const has = (p) => existsSync(p);

const builds = [];
if (has('src/extension/extension.ts')) {
  builds.push({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] });
}
if (has('src/engine/main.ts')) builds.push({ ...node, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js' });
if (has('src/engine/cli/cli.ts')) builds.push({ ...node, entryPoints: ['src/engine/cli/cli.ts'], outfile: 'dist/cli.js' });
if (has('test/bench/bench.ts')) builds.push({ ...node, entryPoints: ['test/bench/bench.ts'], outfile: 'dist/bench.js' });
if (has('webview-ui/main.ts')) {
  const browser = { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: !production, minify: production, logLevel: 'warning' };
  builds.push({ ...browser, entryPoints: ['webview-ui/main.ts'], outfile: 'dist/webview/main.js' });
  // The page's host adapter in a plain browser (the daemon's web dashboard): loaded before main.js.
  builds.push({ ...browser, entryPoints: ['webview-ui/webHost.ts'], outfile: 'dist/webview/webHost.js' });
}
if (has('test/integration/index.ts')) {
  // The integration runner (loaded by VS Code through extensionTestsPath) and, beside it, one bundle per suite
  // file, which the runner finds by listing out/test/suite/ (so a new *.test.ts needs no registration).
  const test = { ...node, sourcemap: true, minify: false, external: ['vscode', 'mocha', 'better-sqlite3'] };
  builds.push({ ...test, entryPoints: ['test/integration/index.ts'], outfile: 'out/test/index.js' });
  const suiteDir = 'test/integration/suite';
  const suites = has(suiteDir) ? readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')) : [];
  rmSync('out/test/suite', { recursive: true, force: true }); // a deleted suite must not keep running from a stale bundle
  if (suites.length) builds.push({ ...test, entryPoints: suites.map((f) => `${suiteDir}/${f}`), outdir: 'out/test/suite' });
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
