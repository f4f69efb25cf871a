// The quick check of what goes through Redis (src/engine/queue/quickShape.ts) is never more lenient than its zod
// schema: on thousands of random values — the job data's and result's usual shapes with one part changed to anything
// (wrong types, NaN, ±Infinity, -0, bounds ± 1, too-long strings, extra or missing keys, null prototypes) — whatever it
// accepts, zod accepts too, and gives back equal to the input. In `npm run test:property`.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { JOB_PROTOCOL, jobDataSchema, jobResultSchema, parseJobData, parseJobResult } from '../../../src/engine/queue/jobProtocol';
import { quickCheckOf } from '../../../src/engine/queue/quickShape';
import { makeTask } from '../../fakes/agentTestKit';

const data = {
  v: JOB_PROTOCOL,
  attemptId: 7,
  taskId: 'T001',
  attempt: 1,
  agentType: 'backend-developer',
  owner: 'run-1',
  // The task as the coordinator sends it: every optional field of the input set, no cwd.
  input: (({ cwd: _cwd, ...input }) => input)(
    makeTask('/unused', {
      dependencies: [{ id: 'T000', title: 'Before', resultSummary: 'done' }],
      verify: 'npm test',
      relevantFiles: ['src/a.ts'],
      resume: { sessionId: 's-1', priorCostUsd: 0.5 },
      previousError: 'timed out',
    }),
  ),
  verify: 'npm test',
  timeoutMs: 600_000,
  killGraceMs: 5000,
  abandonAfterMs: 10_000,
};
const result = {
  v: JOB_PROTOCOL,
  ok: false,
  stopped: 'timeout',
  refused: true,
  failure: { kind: 'timeout', message: 'took too long', retryAfterMs: 1000 },
  errorKind: 'timeout',
  result: { summary: 'partial', exitCode: null, stdout: 'out', stderr: '', tokensIn: 10, tokensOut: 20, costUsd: 0.01, costEstimated: true, model: 'm' },
  spent: { tokensIn: 10, cacheReadTokens: 0, sessionId: 's' },
  verifyOutput: 'v',
  verifyExitCode: 1,
  leftovers: ['pid 12 sleep'],
  durationMs: 12.5,
  worker: 'host:12',
};

/** Values where a check's edges are: wrong types, non-finite and boundary numbers, long strings, odd objects. */
const edge = fc.oneof(
  fc.anything({ withNullPrototype: true, withBoxedValues: true, withSparseArray: true, maxDepth: 2 }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, -1, 0, 1, 1e6, 1e6 + 1, 1e12, 1e12 + 1, 30 * 86_400_000 + 1, 600_001, 3_600_001, 1_000_001),
  fc.constantFrom(null, undefined, true, '', 'P4', 'timeout', 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(64 * 1024 + 1), [], {}, [{}], Object.create(null)),
  fc.integer(),
  fc.double(),
  fc.string(),
);

type Op = { path: number[]; op: 'set' | 'delete' | 'add'; key: string; value: unknown };
const op: fc.Arbitrary<Op> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 4 }),
  op: fc.constantFrom('set', 'delete', 'add'),
  key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'env', 'v')),
  value: edge,
});

/** A copy of `base` with one part changed as `m` says (the path picks keys or items by index, modulo their count). */
function mutated(base: object, m: Op): unknown {
  const root = structuredClone(base) as Record<string, unknown>;
  let at: Record<string, unknown> = root;
  for (const i of m.path) {
    const keys = Object.keys(at);
    if (keys.length === 0) break;
    const next = at[keys[i % keys.length]];
    if (typeof next !== 'object' || next === null) {
      at[keys[i % keys.length]] = m.value;
      return root;
    }
    at = next as Record<string, unknown>;
  }
  const keys = Object.keys(at);
  const k = keys.length > 0 ? keys[(m.path[m.path.length - 1] ?? 0) % keys.length] : m.key;
  if (m.op === 'delete') delete at[k];
  else if (m.op === 'add') Object.defineProperty(at, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  else at[k] = m.value;
  return root;
}

function holdsTo(schema: z.ZodTypeAny, base: object, runs: number): void {
  const quick = quickCheckOf(schema);
  assert.ok(quick(structuredClone(base)), 'the usual shape takes the quick path');
  let accepted = 0;
  fc.assert(
    fc.property(op, (m) => {
      const v = mutated(base, m);
      if (!quick(v)) return;
      accepted++;
      const r = schema.safeParse(v);
      assert.ok(r.success, `quick accepted what zod refuses: ${r.success ? '' : r.error.issues[0].message}`);
      assert.deepEqual(r.data, v);
    }),
    { numRuns: runs },
  );
  assert.ok(accepted > runs / 20, `only ${accepted} of ${runs} changed values took the quick path: the property says little`);
}

describe('quickCheckOf (a zod schema as a quick predicate)', () => {
  it('property: never accepts job data that the schema refuses, and what it accepts parses to itself', () => {
    holdsTo(jobDataSchema, data, 5000);
  });

  it("property: never accepts a worker's result that the schema refuses, and what it accepts parses to itself", () => {
    holdsTo(jobResultSchema, result, 5000);
  });

  it('property: each kind of check, on any value', () => {
    const schema = z
      .object({
        s: z.string().min(2).max(5).optional(),
        n: z.number().int().min(-3).max(3).optional(),
        x: z.number().gt(0).lt(1).optional(),
        b: z.boolean().optional(),
        l: z.literal(2).optional(),
        e: z.enum(['a', 'b']).optional(),
        a: z.array(z.string().max(1)).min(1).max(2).optional(),
        nn: z.number().nullable().optional(),
        o: z.object({ k: z.string() }).strict().optional(),
      })
      .strict();
    const quick = quickCheckOf(schema);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('s', 'n', 'x', 'b', 'l', 'e', 'a', 'nn', 'o', 'k', 'z'), edge), (v) => {
        if (quick(v)) assert.deepEqual(schema.parse(v), v);
      }),
      { numRuns: 5000 },
    );
    // And it does accept: the quick path is taken for each kind.
    assert.ok(quick({ s: 'abc', n: -3, x: 0.5, b: false, l: 2, e: 'b', a: ['x'], nn: null, o: { k: '' } }));
  });

  it('leaves to zod what it cannot check itself: a regex, a refine, a union, a non-strict object', () => {
    for (const s of [z.string().regex(/a/), z.string().refine(() => true), z.union([z.string(), z.number()]), z.object({ a: z.string() })])
      assert.equal(quickCheckOf(s)(s instanceof z.ZodObject ? { a: 'a' } : 'a'), false);
    // The results request (regexes, a discriminated union) goes through zod, and is still read right.
    assert.ok('data' in parseJobData({ ...data, results: { mode: 'patch', base: 'a'.repeat(40) } }));
    assert.ok('result' in parseJobResult({ ...result, ok: true, failure: undefined, stopped: undefined, changes: { base: 'b'.repeat(40), files: [] } }));
  });
});
