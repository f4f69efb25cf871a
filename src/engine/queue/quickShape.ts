// A zod schema compiled once into a plain predicate that says "certainly valid" for the common shapes, so the
// per-job check of what goes through Redis costs a few property reads instead of zod's parse (a profile of the
// workers bench: zod's parse of each job's data was half of our processor's CPU per job on a worker, ~0.2 ms a job
// under the profiler; the result's parse on the coordinator ~25 µs a job). Nothing is declared twice: the predicate
// is read off the schema itself.
//
// Invariant: the predicate is never more lenient than the schema — true only when the schema's parse succeeds and
// gives back a value equal to its input (strict objects: nothing stripped, nothing defaulted). Whatever it does not
// know how to check (a refine, a union, a regex on a string, a non-strict object) answers false, and the caller
// parses with zod as before, which also words the problem. test/unit/engine/quickShape.property.test.ts holds the
// predicate to the schema on random values.
import { z } from 'zod';

/** A predicate: true only when `schema.safeParse(v)` succeeds with a value equal to `v`. */
export type QuickCheck = (v: unknown) => boolean;

const never: QuickCheck = () => false;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  // What JSON.parse makes; anything else (a null prototype, a class instance) is left to zod.
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function stringCheck(s: z.ZodString): QuickCheck {
  let min = 0;
  let max = Infinity;
  for (const c of s._def.checks) {
    if (c.kind === 'max') max = Math.min(max, c.value);
    else if (c.kind === 'min') min = Math.max(min, c.value);
    else return never; // regex, email, trim…: zod's own
  }
  if (s._def.coerce) return never;
  return (v) => typeof v === 'string' && v.length >= min && v.length <= max;
}

function numberCheck(n: z.ZodNumber): QuickCheck {
  let int = false;
  let lo = -Infinity;
  let loIn = true;
  let hi = Infinity;
  let hiIn = true;
  for (const c of n._def.checks) {
    if (c.kind === 'int') int = true;
    else if (c.kind === 'min') [lo, loIn] = [c.value, c.inclusive];
    else if (c.kind === 'max') [hi, hiIn] = [c.value, c.inclusive];
    else return never; // multipleOf, finite: zod's own
  }
  if (n._def.coerce) return never;
  return (v) => typeof v === 'number' && !Number.isNaN(v) && (!int || Number.isInteger(v)) && (loIn ? v >= lo : v > lo) && (hiIn ? v <= hi : v < hi);
}

/** Compiles `schema` (see the file comment); unknown parts compile to a predicate that is always false. */
export function quickCheckOf(schema: z.ZodTypeAny): QuickCheck {
  if (schema instanceof z.ZodString) return stringCheck(schema);
  if (schema instanceof z.ZodNumber) return numberCheck(schema);
  if (schema instanceof z.ZodBoolean) return schema._def.coerce ? never : (v) => typeof v === 'boolean';
  if (schema instanceof z.ZodLiteral) {
    const value: unknown = schema._def.value;
    return (v) => v === value;
  }
  if (schema instanceof z.ZodEnum) {
    const options = new Set<unknown>(schema._def.values as readonly string[]);
    return (v) => typeof v === 'string' && options.has(v);
  }
  if (schema instanceof z.ZodOptional) {
    const inner = quickCheckOf(schema._def.innerType as z.ZodTypeAny);
    return (v) => v === undefined || inner(v);
  }
  if (schema instanceof z.ZodNullable) {
    const inner = quickCheckOf(schema._def.innerType as z.ZodTypeAny);
    return (v) => v === null || inner(v);
  }
  if (schema instanceof z.ZodArray) {
    const item = quickCheckOf(schema._def.type as z.ZodTypeAny);
    const def = schema._def as { minLength: { value: number } | null; maxLength: { value: number } | null; exactLength: { value: number } | null };
    const min = Math.max(def.minLength?.value ?? 0, def.exactLength?.value ?? 0);
    const max = Math.min(def.maxLength?.value ?? Infinity, def.exactLength?.value ?? Infinity);
    return (v) => {
      if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype || v.length < min || v.length > max) return false;
      // zod gives back the items only: an array with holes or with properties of its own is left to it.
      if (Object.keys(v).length !== v.length) return false;
      for (let i = 0; i < v.length; i++) if (!Object.hasOwn(v, i) || !item(v[i])) return false;
      return true;
    };
  }
  if (schema instanceof z.ZodObject) {
    // Only strict objects: their parse keeps every key as it is (a stripping object would give back less than its input).
    if (schema._def.unknownKeys !== 'strict' || !(schema._def.catchall instanceof z.ZodNever)) return never;
    const shape = schema.shape as Record<string, z.ZodTypeAny>;
    const fields = new Map<string, QuickCheck>(Object.entries(shape).map(([k, s]) => [k, quickCheckOf(s)]));
    const required = Object.entries(shape)
      .filter(([, s]) => !s.isOptional())
      .map(([k]) => k);
    return (v) => {
      if (!isPlainObject(v)) return false;
      for (const k of required) if (!Object.hasOwn(v, k)) return false;
      for (const k of Object.keys(v)) {
        const f = fields.get(k);
        if (!f || !f(v[k])) return false;
      }
      return true;
    };
  }
  return never;
}
