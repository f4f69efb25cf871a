// The parse of every fixture and shipped example, pinned: a change to how the parser stores what it reads (issue #8's
// memory work on 50 MB plans) must not change what it reads. Each file's TaskList is compared as JSON (key order
// included, as `coditect export` and the CLI's --json print it) with the golden in test/fixtures/parse-golden; the
// generated benchmark plans, too big to keep, are compared by the SHA-256 of that JSON.
//
// A change that is MEANT to change a parse: run with CODITECT_UPDATE_GOLDEN=1 to rewrite the goldens, and read the
// diff before committing it.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseTaskList } from '../../../src/core/parser';
import { generateTaskList } from '../../bench/generatePlan';

const ROOT = join(__dirname, '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'fixtures', 'parse-golden');
const update = process.env.CODITECT_UPDATE_GOLDEN === '1';

const FILES = [
  ...readdirSync(join(ROOT, 'test', 'fixtures', 'dialects'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join('test', 'fixtures', 'dialects', f)),
  join('resources', 'examples', 'PROJECT-TASKLIST.md'),
  join('resources', 'examples', 'speckit', 'tasks.md'),
  join('test', 'integration', 'fixtures', 'workspace', 'PROJECT-TASKLIST.md'),
  join('test', 'e2e', 'fixtures', 'tidewater', 'TIDEWATER-TASKLIST.md'),
];

/** One golden file per source file, named after its path so two `tasks.md` do not collide. */
const goldenOf = (rel: string): string => join(GOLDEN, `${rel.replace(/[\\/]/g, '__').replace(/\.md$/, '')}.json`);

const json = (text: string): string => `${JSON.stringify(parseTaskList(text), null, 1)}\n`;

/** Generated plans: hashed (the 3,000-task one prints 2 MB of JSON). */
const GENERATED: { name: string; text: () => string }[] = [
  { name: 'generated 3000 tasks, LF', text: () => generateTaskList({ tasks: 3000 }).text },
  { name: 'generated 600 tasks, CRLF, seed 7', text: () => generateTaskList({ tasks: 600, eol: '\r\n', seed: 7 }).text },
  {
    name: 'generated 400 tasks behind front matter, features of 3',
    text: () => `---\ntitle: x\n---\n${generateTaskList({ tasks: 400, tasksPerFeature: 3, seed: 3 }).text}`,
  },
];
const HASHES = join(GOLDEN, 'generated.sha256.json');

describe('parse goldens: the parse of every fixture and example is unchanged', () => {
  for (const rel of FILES) {
    it(`${rel} parses exactly as its golden (${basename(goldenOf(rel))})`, () => {
      const actual = json(readFileSync(join(ROOT, rel), 'utf8'));
      const file = goldenOf(rel);
      if (update) writeFileSync(file, actual);
      assert.ok(existsSync(file), `no golden ${file}: run with CODITECT_UPDATE_GOLDEN=1 once`);
      assert.equal(actual, readFileSync(file, 'utf8'));
    });
  }

  it('the generated benchmark plans parse to the JSON whose SHA-256 is pinned', () => {
    const actual: Record<string, string> = {};
    for (const g of GENERATED) actual[g.name] = createHash('sha256').update(json(g.text())).digest('hex');
    if (update) writeFileSync(HASHES, `${JSON.stringify(actual, null, 2)}\n`);
    assert.deepEqual(actual, JSON.parse(readFileSync(HASHES, 'utf8')));
  });
});
