// One settings schema (#13 item 7): the editor settings' descriptors (src/protocol/engineSettings.ts) say the same
// ranges and defaults as the config file option each overrides (src/engine/config/fileSchema.ts), and every option of
// the file schema is documented, with its default, in the schema's own header and in docs/configuration.md.
// (package.json's contributes.configuration is held to the descriptors by test/unit/extension/manifest.test.ts.)
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { fileSchema } from '../../../src/engine/config/fileSchema';
import { mergeSettings } from '../../../src/engine/config/settings';
import { parseConfig } from '../../../src/engine/config';
import { ConfigError } from '../../../src/engine/config/configErrors';
import { ENGINE_SETTINGS } from '../../../src/protocol/engineSettings';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The schema inside optional/default/effects wrappers, and the default a wrapper gives, if any. */
function unwrap(t: z.ZodTypeAny): { inner: z.ZodTypeAny; default?: unknown } {
  let dflt: unknown;
  for (;;) {
    if (t instanceof z.ZodDefault) {
      dflt ??= (t._def as { defaultValue: () => unknown }).defaultValue();
      t = t._def.innerType as z.ZodTypeAny;
    } else if (t instanceof z.ZodOptional) t = t.unwrap() as z.ZodTypeAny;
    else if (t instanceof z.ZodEffects) t = t.innerType() as z.ZodTypeAny;
    else return { inner: t, default: dflt };
  }
}

/** The file option at a dotted path. */
function optionAt(dotted: string): { inner: z.ZodTypeAny; default?: unknown } {
  let cur: z.ZodTypeAny = fileSchema;
  let out = unwrap(cur);
  for (const seg of dotted.split('.')) {
    const obj = unwrap(cur).inner;
    assert.ok(obj instanceof z.ZodObject, `${dotted}: ${seg} is not inside an object`);
    const next = (obj.shape as Record<string, z.ZodTypeAny>)[seg];
    assert.ok(next, `${dotted}: the file schema has no ${seg}`);
    cur = next;
    out = unwrap(cur);
  }
  return out;
}

/** Every option path of the file schema: the leaves, and the maps (records), whose keys are the person's. */
function optionPaths(t: z.ZodTypeAny = fileSchema, prefix = ''): string[] {
  const { inner } = unwrap(t);
  if (!(inner instanceof z.ZodObject)) return [prefix];
  return Object.entries(inner.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => optionPaths(v, prefix ? `${prefix}.${k}` : k));
}

function integerRange(t: z.ZodTypeAny): { int: boolean; min: number | null; max: number | null } {
  assert.ok(t instanceof z.ZodNumber, `expected a number option, got ${t.constructor.name}`);
  return { int: t.isInt, min: t.minValue, max: t.maxValue };
}

/** A value the option must refuse: out of range for a bounded number, the wrong type otherwise. */
function badValueFor(t: z.ZodTypeAny): unknown {
  if (t instanceof z.ZodNumber) return t.maxValue !== null ? t.maxValue + 1 : 'many';
  if (t instanceof z.ZodEnum) return 'no-such-choice';
  if (t instanceof z.ZodBoolean) return 'yes';
  if (t instanceof z.ZodString) return 7;
  if (t instanceof z.ZodUnion) return [1];
  return true;
}

describe('one settings schema', () => {
  for (const [field, spec] of Object.entries(ENGINE_SETTINGS)) {
    it(`setting coditect.${spec.key} has the range and default of the file's ${spec.file}`, () => {
      const option = optionAt(spec.file);
      if (spec.kind === 'integer') {
        // timeouts.default_minutes may be fractional in the file; the setting takes whole minutes of the same range.
        const r = integerRange(option.inner);
        assert.equal(r.max, spec.maximum, `${field}: maximum`);
        if (r.int) assert.equal(r.min, spec.minimum, `${field}: minimum`);
        else assert.ok(spec.minimum > (r.min ?? -Infinity), `${field}: minimum ${spec.minimum} is outside the file's range`);
        assert.equal(option.default, spec.default, `${field}: default`);
      } else if (spec.kind === 'integerMap') {
        assert.ok(option.inner instanceof z.ZodRecord, `${spec.file} is not a map`);
        const r = integerRange(unwrap(option.inner.valueSchema as z.ZodTypeAny).inner);
        assert.deepEqual(r, { int: true, min: spec.minimum, max: spec.maximum }, field);
        assert.deepEqual(option.default, spec.default, `${field}: default`);
      } else {
        assert.ok(option.inner instanceof z.ZodString, `${spec.file} is not a string option`);
      }
    });
  }

  it('the engine refuses a setting outside its range with the one message, and takes one the file allows', () => {
    const c = parseConfig({}, 'config', { env: {} });
    assert.equal(mergeSettings(c, { retryMaxDelayMs: 86_400_000 }).retry.maxDelayMs, 86_400_000);
    assert.throws(
      () => mergeSettings(c, { maxPerType: { a: 1001 }, metricsPort: 70_000 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          'settings: settings.maxPerType.a: expected an integer from 0 to 1000, got 1001; settings.metricsPort: expected an integer from 0 to 65535, got 70000',
    );
    assert.throws(
      () => mergeSettings(c, { retries: 3 } as never),
      (e: unknown) => e instanceof ConfigError && e.message === 'settings: settings.retries: unknown setting',
    );
  });

  it('refuses a bad value of every option of the file schema with an error naming the option and the value', () => {
    for (const p of optionPaths()) {
      const bad = badValueFor(unwrap(optionAt(p).inner).inner);
      const raw: Record<string, unknown> = {};
      const segs = p.split('.');
      let cur = raw;
      for (const seg of segs.slice(0, -1)) cur = (cur[seg] = {}) as Record<string, unknown>;
      cur[segs[segs.length - 1]] = bad;
      assert.throws(
        () => parseConfig(raw, 'config.json', { env: {} }),
        (e: unknown) => e instanceof ConfigError && e.message.includes(p) && e.message.includes(`got ${JSON.stringify(bad)}`),
        `${p} = ${JSON.stringify(bad)} should be refused, naming ${p} and the value`,
      );
    }
  });

  it('documents every option of the file schema in its header and in docs/configuration.md', () => {
    const header = readFileSync(path.join(ROOT, 'src', 'engine', 'config', 'fileSchema.ts'), 'utf8').split('\nimport ')[0];
    const doc = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const paths = optionPaths();
    assert.ok(paths.length > 60, `expected the file schema's options, found ${paths.length}`);
    const missing = { header: [] as string[], doc: [] as string[] };
    for (const p of paths) {
      // A section documented as a whole (`sync (other keys), logging`) covers its keys in the header.
      if (!new RegExp(`//   (?:${p.replace(/\./g, '\\.')}\\b|.*\\b${p.split('.')[0]}\\b.*(?:other keys|kept as given))`).test(header)) missing.header.push(p);
      if (!doc.includes(`\`${p}\``)) missing.doc.push(p);
    }
    assert.deepEqual(missing, { header: [], doc: [] });
  });
});
