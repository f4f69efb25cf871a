// Errors of the orchestrator config: every problem names the key as the person wrote it (a plan-style section key,
// not the flat option it maps onto), what was expected and the value found.
import type { z } from 'zod';
import { textOf } from '../../core/describe';

/** Thrown for a bad configuration; the message names the file, the key path, what was expected and what was found. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [message],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function valueAt(raw: unknown, p: (string | number)[]): unknown {
  let cur = raw;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? textOf(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** One zod issue as `path: expected …, got …`. */
export function formatIssue(issue: z.ZodIssue, raw: unknown, origin?: ReadonlyMap<string, string>): string[] {
  const where = issue.path.length ? writtenPath(issue.path.join('.'), origin) : '(root)';
  const got = show(valueAt(raw, issue.path));
  switch (issue.code) {
    case 'too_small':
      return [`${where}: expected ${issue.inclusive ? '≥' : '>'}${String(issue.minimum)}${issue.type === 'string' ? ' characters' : ''}, got ${got}`];
    case 'too_big':
      return [`${where}: expected ${issue.inclusive ? '≤' : '<'}${String(issue.maximum)}, got ${got}`];
    case 'invalid_type':
      return [`${where}: expected ${issue.expected}, got ${issue.received === 'undefined' ? 'nothing' : got}`];
    case 'not_multiple_of':
      return [`${where}: expected a multiple of ${String(issue.multipleOf)}, got ${got}`];
    case 'unrecognized_keys':
      return issue.keys.map((k) => `${issue.path.length ? `${where}.` : ''}${k}: unknown option (check the spelling; see docs/configuration.md)`);
    case 'invalid_enum_value':
      return [`${where}: expected one of ${issue.options.join(', ')}, got ${got}`];
    case 'invalid_union':
      // Report the branch that got furthest (the first whose issues are not all type mismatches at the root).
      for (const e of issue.unionErrors) {
        const deep = e.issues.filter((i) => i.path.length > issue.path.length || i.code !== 'invalid_type');
        if (deep.length > 0) return deep.flatMap((i) => formatIssue(i, raw, origin));
      }
      // Every branch wanted another type: name them all (`expected string or number, got true`).
      return [
        `${where}: expected ${[...new Set(issue.unionErrors.flatMap((e) => e.issues.flatMap((i) => (i.code === 'invalid_type' ? [i.expected] : []))))].join(' or ')}, got ${got}`,
      ];
    default:
      return [`${where}: ${issue.message}, got ${got}`];
  }
}

/** The path as the person wrote it: a value lifted from a plan-style section is named by its section key. */
export function writtenPath(flat: string, origin?: ReadonlyMap<string, string>): string {
  if (!origin || origin.size === 0) return flat;
  for (let p = flat; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const o = origin.get(p);
    if (o !== undefined) return o + flat.slice(p.length);
  }
  return flat;
}

export function fail(source: string, issues: string[]): never {
  throw new ConfigError(`${source}: ${issues.join('; ')}`, issues);
}
