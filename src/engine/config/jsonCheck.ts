// What JSON.parse accepts but a config file must not hold, found before anything walks the value recursively (a
// 5,000-level nesting overflowed the stack: "Maximum call stack size exceeded", naming no file): nesting deeper than
// MAX_CONFIG_DEPTH, keys that reach an object's prototype when copied (`__proto__`, `constructor`, `prototype`), and
// numbers JSON.parse turned into Infinity (`1e309`), which the schema's errors would show as `null`.

/** No config section nests this deep; deeper is a mistake or an attack, not a setting. */
export const MAX_CONFIG_DEPTH = 32;

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The problems of a parsed config value, each as `key.path: what is wrong` (empty: none). Iterative, any depth. */
export function jsonValueProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const stack: { v: unknown; path: string[] }[] = [{ v: raw, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    const where = path.length ? shortPath(path) : '(root)';
    if (typeof v === 'number' && !Number.isFinite(v)) problems.push(`${where}: a number too large to represent (it reads as ${v})`);
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_CONFIG_DEPTH) {
      problems.push(`${where}: nested deeper than ${MAX_CONFIG_DEPTH} levels`);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (PROTOTYPE_KEYS.has(key)) problems.push(`${shortPath([...path, key])}: "${key}" is not allowed as a key (it would reach an object's prototype)`);
      else stack.push({ v: (v as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return problems.reverse();
}

/** `a.b.c`, or its first and last segments when long. */
function shortPath(path: readonly string[]): string {
  return path.length <= 8 ? path.join('.') : `${path.slice(0, 4).join('.')}.….${path.slice(-2).join('.')}`;
}
