// Identity of tasks written without an id, kept from one sync to the next (src/core/identity.ts).
import * as assert from 'node:assert/strict';
import { headingPath, nextFree, resolveIdentities, similarity, type KnownTask } from '../../../src/core/identity';
import type { TaskList } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';

const parse = (...lines: string[]): TaskList => parseTaskList(lines.join('\n'));
/** What a sync would store for a list: every task with its heading path and title. */
function known(list: TaskList): KnownTask[] {
  const e = new Map(list.epics.map((x) => [x.id, x.title]));
  const f = new Map(list.features.map((x) => [x.id, x.title]));
  return list.tasks.map((t) => ({
    id: t.id,
    idExplicit: t.idExplicit,
    title: t.title,
    path: headingPath(e.get(t.epicId), f.get(t.featureId)),
    archived: false,
  }));
}
const idOf = (l: TaskList, title: string) => l.tasks.find((t) => t.title === title)!.id;

describe('resolveIdentities', () => {
  const before = parse('# TODO', '## Home', '- [ ] Paint the fence', '- [x] Fix the tap', '## Work', '- [ ] File the report');
  const stored = known(before);

  it('a task inserted above keeps every other task on its stored id; the new one gets an id no row holds', () => {
    const after = resolveIdentities(
      parse('# TODO', '## Home', '- [ ] Mow the lawn', '- [ ] Paint the fence', '- [x] Fix the tap', '## Work', '- [ ] File the report'),
      stored,
    );
    for (const title of ['Paint the fence', 'Fix the tap', 'File the report']) assert.equal(idOf(after, title), idOf(before, title), title);
    const fresh = idOf(after, 'Mow the lawn');
    assert.ok(!stored.some((k) => k.id === fresh), `${fresh} is new`);
    assert.equal(new Set(after.tasks.map((t) => t.id)).size, after.tasks.length);
  });

  it('an edited title in the same section keeps the id; a rewritten one does not', () => {
    const after = resolveIdentities(parse('# TODO', '## Home', '- [ ] Paint the garden fence', '- [x] Fix the tap', '## Work', '- [ ] Book flights'), stored);
    assert.equal(idOf(after, 'Paint the garden fence'), idOf(before, 'Paint the fence'));
    assert.notEqual(idOf(after, 'Book flights'), idOf(before, 'File the report'));
  });

  it('a task moved to another section keeps its id (same title)', () => {
    const after = resolveIdentities(parse('# TODO', '## Home', '- [x] Fix the tap', '## Work', '- [ ] File the report', '- [ ] Paint the fence'), stored);
    assert.equal(idOf(after, 'Paint the fence'), idOf(before, 'Paint the fence'));
  });

  it('equal titles pair in order; a row now owned by a written id is not reused', () => {
    const twice = parse('# Daily', '- [ ] Stand-up', '- [ ] Stand-up');
    const rows = known(twice);
    const again = resolveIdentities(parse('# Daily', '- [ ] Stand-up', '- [ ] Stand-up'), rows);
    assert.deepEqual(
      again.tasks.map((t) => t.id),
      twice.tasks.map((t) => t.id),
    );
    const claimed = resolveIdentities(parse('# Daily', `- [ ] **${rows[0].id}** Stand-up`, '- [ ] Stand-up'), rows);
    assert.deepEqual(
      claimed.tasks.map((t) => t.id),
      [rows[0].id, rows[1].id],
    );
  });

  it('dependencies on a renamed task follow it', () => {
    // A group waits for its subtasks: the edge names the subtask by the id the database knows it by.
    const list = parse('## Setup', '- [ ] Set up the project', '  - [ ] Create the repo');
    const rows = known(list).map((k, i) => ({ ...k, id: `T900.00${i + 1}` }));
    const out = resolveIdentities(list, rows);
    assert.deepEqual(
      out.tasks.map((t) => t.id),
      ['T900.001', 'T900.002'],
    );
    assert.deepEqual(
      out.tasks[0].dependsOn.map((d) => d.id),
      ['T900.002'],
    );
  });

  it('returns the same list when every task has a written id', () => {
    const l = parse('## E001: X', '- [ ] **T001.001** A');
    assert.equal(resolveIdentities(l, []), l);
  });

  it('helpers: similarity is 1 for the same words, low for others; nextFree keeps prefix and width', () => {
    assert.equal(similarity('Paint the fence!', 'paint  the fence'), 1);
    assert.ok(similarity('Paint the fence', 'Paint the garden fence') >= 0.6);
    assert.ok(similarity('File the report', 'Book flights') < 0.6);
    assert.equal(nextFree('T001.009', new Set(['T001.010'])), 'T001.011');
    assert.equal(nextFree('T7', new Set()), 'T8');
  });
});
