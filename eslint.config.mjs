// ESLint (flat config) with typescript-eslint's type-aware rules, run by `npm run lint` in `npm test`.
// The rules are chosen for the bugs they catch, not for style (prettier owns the layout, `npm run format`):
// promises nobody awaits or that are passed where a callback's result is ignored, `[object Object]` in messages,
// throwing non-Errors, switches over a union that miss a member, and this project's structural rules (no default
// exports, no barrels, no re-exports). The layer rules themselves live in scripts/checkLayers.mjs.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Globals of plain Node scripts (.mjs): the TypeScript files get theirs from their tsconfig. */
const nodeScriptGlobals = Object.fromEntries(
  ['process', 'console', 'setTimeout', 'clearTimeout', 'URL', 'URLSearchParams', 'AbortController', 'Buffer'].map((g) => [g, 'readonly']),
);

export default defineConfig(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-artifacts/**', 'bench-results/**', 'test/**/fixtures/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Bugs: an unawaited promise swallows its rejection; an async callback where a void one is expected runs unordered.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch skips the catch: await it there.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A switch over a union without a default must name every member (a new status must not fall through silently).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      eqeqeq: ['error', 'smart'],
      // A `let` assigned once after a closure that reads it is the usual late-binding pattern, not a missed const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true, destructuring: 'all' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Structure (docs/CONTRIBUTING.md, Style 9): no default exports, no barrels (a module re-exporting another's names).
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'No default exports: export a named declaration.' },
        { selector: 'ExportAllDeclaration', message: 'No barrels: import from the module that declares the name.' },
        { selector: 'ExportNamedDeclaration[source]', message: 'No re-exports: import from the module that declares the name.' },
      ],
      // Left off on purpose: they judge style or `any` hygiene, not behaviour, and would churn files others are editing.
      // (tsc's strict mode and noUnused* already cover unused code and implicit any.)
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Protocol as data: `namespace RunTask { export const type = ... }` is the house style (CONTRIBUTING, Style 1).
      '@typescript-eslint/no-namespace': 'off',
    },
  },
  {
    // An attempt's processes are started by runProcessTree only: it notes their mark, and the end of an attempt whose
    // mark was never noted skips the look for leftover processes (agents/orphans.ts). sandbox.ts's probe starts no agent.
    files: ['src/engine/agents/**/*.ts', 'src/engine/executor.ts', 'src/engine/queue/**/*.ts'],
    ignores: ['src/engine/agents/processTree.ts', 'src/engine/agents/sandbox.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        ...['node:child_process', 'child_process'].map((name) => ({ name, message: 'Start processes with runProcessTree (agents/processTree.ts).' })),
      ],
    },
  },
  {
    // Tests dig into JSON bodies they parsed themselves.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeScriptGlobals },
  },
  {
    // ESLint's own config file must export its config as default.
    files: ['eslint.config.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Functions of this script run inside the workbench page (page.evaluate).
    files: ['scripts/vscodeTest/activityBar.mjs'],
    languageOptions: { globals: { Image: 'readonly', document: 'readonly', getComputedStyle: 'readonly', fetch: 'readonly' } },
  },
);
