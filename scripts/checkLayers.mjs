// The layer check (`npm run check:layers`): which code may import which, read by the TypeScript compiler, not by
// line-matching, so an import split over several lines, `import type`, `export … from`, `import()`, `require()`,
// `typeof import('…')` and `/// <reference types>` are all seen. What each layer may use of its platform (DOM, Node,
// vscode) is enforced by its own tsconfig (src/core/tsconfig.json, …, built together by `npm run typecheck`); this
// script checks the imports between layers and to packages, and that those tsconfigs still say what they must.
//
//   src/core       pure: only core, and the pure packages below; no Node, no DOM, no vscode, no database
//   src/protocol   the messages: core, and vscode-jsonrpc's common API
//   src/engine     Node: core, protocol, engine; the only layer that may load better-sqlite3; never vscode
//   src/extension  the editor: core, protocol, extension; the only one that may import vscode
//   webview-ui     the page (browser): core, protocol, webview-ui; no packages
//   test/**        a test may import the layers the code it tests may import, plus test helpers; every test outside
//                  test/integration runs in plain Node, so nothing it loads, however indirectly, may import vscode.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Packages the pure core may use: no I/O, no platform. */
const CORE_PACKAGES = ['markdown-it'];

const SRC = ['src/core/', 'src/protocol/', 'src/engine/', 'src/extension/', 'webview-ui/'];

/**
 * The layers. `paths`: which files are in it (first match wins, in this order). `sources`: the source folders its
 * files may import. `packages`: a predicate on a package name (node builtins are `node:x`), or an allow-list.
 */
const LAYERS = [
  { name: 'core', paths: ['src/core/'], sources: ['src/core/'], packages: CORE_PACKAGES },
  { name: 'protocol', paths: ['src/protocol/'], sources: ['src/core/', 'src/protocol/'], packages: ['vscode-jsonrpc'] },
  { name: 'engine', paths: ['src/engine/'], sources: ['src/core/', 'src/protocol/', 'src/engine/'], packages: (p) => p !== 'vscode' },
  {
    name: 'extension',
    paths: ['src/extension/'],
    sources: ['src/core/', 'src/protocol/', 'src/extension/'],
    packages: (p) => p !== 'better-sqlite3',
  },
  { name: 'webview', paths: ['webview-ui/'], sources: ['src/core/', 'src/protocol/', 'webview-ui/'], packages: [] },
  // Tests: the sources the tested layer may import, any test helper, and Node (they run in it).
  {
    name: 'core tests',
    paths: ['test/unit/core/'],
    sources: ['src/core/', 'test/'],
    packages: (p) => isNode(p) || CORE_PACKAGES.includes(p) || TEST_PACKAGES.includes(p),
    plainNode: true,
  },
  {
    name: 'webview tests',
    paths: ['test/unit/webview/'],
    sources: ['src/core/', 'src/protocol/', 'webview-ui/', 'test/'],
    packages: testPackages,
    plainNode: true,
  },
  {
    name: 'extension tests',
    paths: ['test/unit/extension/', 'test/process/extension/'],
    sources: ['src/core/', 'src/protocol/', 'src/extension/', 'test/'],
    packages: (p) => testPackages(p) && p !== 'better-sqlite3',
    plainNode: true,
  },
  {
    name: 'editor tests',
    paths: ['test/integration/'],
    sources: ['src/core/', 'src/protocol/', 'src/extension/', 'test/'],
    packages: (p) => p !== 'better-sqlite3',
  },
  {
    name: 'browser tests',
    paths: ['test/e2e/'],
    sources: ['src/core/', 'src/protocol/', 'webview-ui/', 'test/', 'scripts/'],
    packages: testPackages,
    plainNode: true,
  },
  { name: 'build tests', paths: ['test/unit/build/', 'test/process/build/'], sources: ['test/', 'scripts/'], packages: testPackages, plainNode: true },
  // Everything else under test/ (engine, db, sync, agents, cli, fakes, bench) tests the engine.
  { name: 'engine tests', paths: ['test/'], sources: ['src/core/', 'src/protocol/', 'src/engine/', 'test/'], packages: testPackages, plainNode: true },
];

/** Packages any plain-Node test may use. */
const TEST_PACKAGES = ['mocha', 'fast-check', 'playwright-core', 'tsx', 'typescript'];
function testPackages(p) {
  return p !== 'vscode';
}

/** What each layer's tsconfig must keep (the platform it may see): lib without DOM, types without node… */
const TSCONFIGS = [
  { file: 'src/core/tsconfig.json', dom: false, types: [] },
  { file: 'src/protocol/tsconfig.json', dom: false, types: [] },
  { file: 'src/engine/tsconfig.json', dom: false, types: ['node'] },
  { file: 'src/extension/tsconfig.json', dom: false, types: ['node', 'vscode'] },
  { file: 'webview-ui/tsconfig.json', dom: true, types: [] },
];

const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
function isNode(p) {
  return p.startsWith('node:');
}

function layerOf(rel) {
  for (const l of LAYERS) if (l.paths.some((p) => rel.startsWith(p))) return l;
  return undefined;
}

/** The package an import names, `node:x` for a Node builtin, or undefined for a relative path. */
function packageOf(spec) {
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  if (spec.startsWith('node:')) return `node:${spec.slice(5).split('/')[0]}`;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtins.has(name) ? `node:${name}` : name;
}

function allowedPackage(layer, pkg) {
  return typeof layer.packages === 'function' ? layer.packages(pkg) : layer.packages.includes(pkg);
}

/**
 * Every module reference in a file: { spec, line, typeOnly, how }. `typeOnly` references (import type, export
 * type, typeof import(), reference types) count for the layers but are not loaded at run time.
 */
export function moduleReferences(fileName, text) {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const refs = [];
  const add = (node, spec, typeOnly, how) => refs.push({ spec, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, typeOnly, how });
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      // `import { type A, type B }` is elided like `import type`; a bare `import 'x'` runs x.
      const typeOnly =
        !!c &&
        (c.isTypeOnly ||
          (!c.name &&
            !!c.namedBindings &&
            ts.isNamedImports(c.namedBindings) &&
            c.namedBindings.elements.length > 0 &&
            c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier.text, typeOnly, typeOnly ? 'import type' : 'import');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, node.isTypeOnly, 're-export');
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      add(node, node.moduleReference.expression.text, node.isTypeOnly, 'import = require');
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0])) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0].text, false, 'import()');
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') add(node, node.arguments[0].text, false, 'require()');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true, 'import() type');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  for (const r of sf.typeReferenceDirectives)
    refs.push({ spec: r.fileName, line: sf.getLineAndCharacterOfPosition(r.pos).line + 1, typeOnly: true, how: 'reference types' });
  return refs;
}

function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === 'node_modules' || e === 'fixtures') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|cts)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const toPosix = (p) => p.split(sep).join('/');

/** Every layering violation under `root`: the imports and the layers' tsconfigs, as `file:line: reason`. */
export function checkLayers(root) {
  return [...checkImports(root), ...checkTsconfigs(root)];
}

/** Every import that crosses a layer boundary under `root`, as `file:line: reason`. */
export function checkImports(root) {
  const options = { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, allowJs: true, resolveJsonModule: true };
  const host = ts.sys;
  const problems = [];
  /** rel path → its references, resolved: { ...ref, target (rel path) | pkg } */
  const graph = new Map();
  const files = ['src', 'webview-ui', 'test'].flatMap((d) => walk(join(root, d)));
  for (const file of files) {
    const rel = toPosix(relative(root, file));
    const refs = moduleReferences(file, readFileSync(file, 'utf8')).map((r) => {
      const pkg = packageOf(r.spec);
      if (pkg) return { ...r, pkg };
      const resolved = ts.resolveModuleName(r.spec, file, options, host).resolvedModule;
      const target = resolved ? toPosix(relative(root, resolved.resolvedFileName)) : toPosix(relative(root, join(file, '..', r.spec)));
      return { ...r, target };
    });
    graph.set(rel, refs);
  }
  for (const [rel, refs] of graph) {
    const layer = layerOf(rel);
    if (!layer) continue;
    for (const r of refs) {
      const where = `${rel}:${r.line}`;
      if (r.pkg && !allowedPackage(layer, r.pkg))
        problems.push(`${where}: ${layer.name} must not import '${r.spec}' (${r.how}); ${packageAdvice(layer, r.pkg)}`);
      if (r.target && SRC.concat('test/', 'scripts/').some((s) => r.target.startsWith(s)) && !layer.sources.some((s) => r.target.startsWith(s)))
        problems.push(`${where}: ${layer.name} must not import ${r.target} (${r.how}); it may import ${layer.sources.join(', ')}`);
    }
  }
  // Plain-Node tests: nothing they load at run time may import vscode (it exists only inside the editor).
  const reachesVscode = new Map();
  const chain = (rel, seen = new Set()) => {
    if (reachesVscode.has(rel)) return reachesVscode.get(rel);
    if (seen.has(rel)) return undefined;
    seen.add(rel);
    let found;
    for (const r of graph.get(rel) ?? []) {
      if (r.typeOnly) continue;
      if (r.pkg === 'vscode') found = [`${rel}:${r.line}`];
      else if (r.target && graph.has(r.target)) {
        const sub = chain(r.target, seen);
        if (sub) found = [`${rel}:${r.line}`, ...sub];
      }
      if (found) break;
    }
    reachesVscode.set(rel, found);
    return found;
  };
  for (const rel of graph.keys()) {
    const layer = layerOf(rel);
    if (!layer?.plainNode || !/\.test\.ts$/.test(rel)) continue;
    const path = chain(rel);
    if (path && path.length > 1)
      problems.push(
        `${path[0]}: runs in plain Node but loads vscode through ${path.slice(1).join(' → ')} (use \`import type\`, or move the test to test/integration/)`,
      );
  }
  return problems;
}

function packageAdvice(layer, pkg) {
  if (pkg === 'vscode') return 'only src/extension may import vscode';
  if (pkg === 'better-sqlite3') return 'only the engine opens the database; the others speak src/protocol';
  if (isNode(pkg)) return `${layer.name} runs without Node`;
  return typeof layer.packages === 'function' ? 'not allowed here' : `it may use ${layer.packages.length ? layer.packages.join(', ') : 'no packages'}`;
}

/** The per-layer tsconfigs must still hide what the layer may not use. */
export function checkTsconfigs(root) {
  const problems = [];
  for (const t of TSCONFIGS) {
    const path = join(root, t.file);
    const read = ts.readConfigFile(path, ts.sys.readFile);
    if (read.error) {
      problems.push(`${t.file}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
      continue;
    }
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, join(path, '..'), undefined, path);
    const libs = (parsed.options.lib ?? []).map((l) => l.toLowerCase());
    const hasDom = libs.some((l) => l.includes('dom'));
    if (parsed.options.lib === undefined) problems.push(`${t.file}: must set "lib" (the default includes DOM)`);
    else if (hasDom !== t.dom) problems.push(`${t.file}: "lib" must ${t.dom ? '' : 'not '}include DOM`);
    const types = parsed.options.types;
    if (!types || [...types].sort().join() !== [...t.types].sort().join())
      problems.push(`${t.file}: "types" must be ${JSON.stringify(t.types)} (got ${JSON.stringify(types ?? 'every @types package')})`);
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = process.argv[2] ?? process.cwd();
  const problems = checkLayers(root);
  // The bundled extension must not contain a require of the native module either.
  try {
    const bundle = readFileSync(join(root, 'dist/extension.js'), 'utf8');
    if (/require\(["']better-sqlite3["']\)/.test(bundle)) problems.push('dist/extension.js: the extension bundle requires better-sqlite3');
  } catch {
    /* not built yet */
  }
  if (problems.length) {
    console.error(`Layering violations (${problems.length}):\n` + problems.map((p) => '  ' + p).join('\n'));
    process.exit(1);
  }
  console.log('layers: ok');
}
