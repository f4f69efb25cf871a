// Enforces the layers of src/ (see README "Layout"). Fails the build when a file imports across a layer boundary.
//   src/core      pure: no vscode, no fs, no database, no process spawning, nothing from other layers
//   src/protocol  shared message declarations: only vscode-jsonrpc and core types
//   src/engine    Node only: the only layer that may load better-sqlite3; never vscode
//   src/extension the only layer that may import vscode; never the engine's code nor the database
//   webview-ui    browser: only protocol and core
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT_RE =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

const NODE_IO = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'worker_threads', 'cluster', 'dgram'];
const isNodeIo = (s) => NODE_IO.includes(s.replace(/^node:/, ''));

/** Rules per layer: each returns a reason string when the import is forbidden. */
const RULES = [
  {
    layer: 'src/core/',
    check: (spec, target) => {
      if (spec === 'vscode') return 'the pure core must not import vscode';
      if (isNodeIo(spec)) return `the pure core must not import ${spec} (no I/O in the core)`;
      if (spec === 'better-sqlite3') return 'the pure core must not touch the database';
      if (target && !target.startsWith('src/core/')) return `the pure core must not import ${target}`;
    },
  },
  {
    layer: 'src/protocol/',
    check: (spec, target) => {
      if (spec === 'vscode') return 'the protocol is shared with the engine and must not import vscode';
      if (isNodeIo(spec) || spec === 'better-sqlite3') return `the protocol must not import ${spec}`;
      if (target && !target.startsWith('src/protocol/') && !target.startsWith('src/core/')) return `the protocol may only import core types, not ${target}`;
    },
  },
  {
    layer: 'src/engine/',
    check: (spec, target) => {
      if (spec === 'vscode') return 'the engine runs in plain Node and must not import vscode';
      if (target && target.startsWith('src/extension/')) return `the engine must not import the editor layer (${target})`;
    },
  },
  {
    layer: 'src/extension/',
    check: (spec, target) => {
      if (spec === 'better-sqlite3') return 'the extension host must never load better-sqlite3 (Electron ABI); speak the engine protocol';
      if (target && target.startsWith('src/engine/')) return `the editor layer must not import engine code (${target}); use src/protocol`;
    },
  },
  {
    layer: 'webview-ui/',
    check: (spec, target) => {
      if (spec === 'vscode' || spec === 'better-sqlite3' || isNodeIo(spec)) return `the webview runs in a browser and must not import ${spec}`;
      if (target && !target.startsWith('webview-ui/') && !target.startsWith('src/protocol/') && !target.startsWith('src/core/'))
        return `the webview may only import protocol and core, not ${target}`;
    },
  },
];

function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx|mts|cts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

function resolveTarget(root, file, spec) {
  if (!spec.startsWith('.')) return undefined;
  const abs = join(file, '..', spec);
  return relative(root, abs).split(sep).join('/');
}

/** Returns every layering violation under `root` as `file:line: reason`. */
export function checkLayers(root) {
  const problems = [];
  for (const base of ['src', 'webview-ui']) {
    for (const file of walk(join(root, base))) {
      const rel = relative(root, file).split(sep).join('/');
      const rule = RULES.find((r) => rel.startsWith(r.layer));
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return;
        for (const m of line.matchAll(IMPORT_RE)) {
          const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
          const target = resolveTarget(root, file, spec);
          let reason = rule?.check(spec, target);
          if (!reason && spec === 'vscode' && !rel.startsWith('src/extension/')) reason = 'vscode may only be imported under src/extension/';
          if (!reason && spec === 'better-sqlite3' && !rel.startsWith('src/engine/')) reason = 'better-sqlite3 may only be loaded by the engine (src/engine/)';
          if (reason) problems.push(`${rel}:${i + 1}: ${reason} (imports '${spec}')`);
        }
      });
    }
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
