// Every id the writer can write, the parser reads back as that id. A writer that writes an id the parser does not
// read creates a task with no id again, which gets an id written again, forever (issue #8: `SC-002 SC-002 …`).
import * as assert from 'node:assert/strict';
import { parseTaskList } from '../../../src/core/parser';
import { analyzeTaskLine, locateTaskLine, type IdStyle } from '../../../src/core/taskLine';
import { withId } from '../../../src/core/writer';

/** One id of every scheme the allocator produces or a person writes. */
const IDS = ['T001.009', 'T12', 'T0007', 'T001.002.003', 'API-12', 'SC-001', 'ABC-123', 'T031a', 'T042A'];
const STYLES: IdStyle[] = ['bold', 'backtick', 'bracket', 'bare'];
/** Titles whose first characters could join the id or be read as something else. */
const TITLES = ['Second criterion', '- dash first', ': colon first', '(P1) grouped', '[P] parallel', 'P0 priority word', '12 numbers', '**bold** title'];
const LINES = (title: string) => [
  `- [ ] ${title}`,
  `* [x] ${title}`,
  `1. [X] ${title}`,
  `  - [/] ${title}`,
  `- [ ]  ${title}  `,
  `- [-] ${title} \`status:failed\``,
];

describe('ids: what the writer writes, the parser reads back', () => {
  for (const id of IDS) {
    it(`${id}: in every style, on every kind of task line, read back as ${id} with the title unchanged`, () => {
      for (const style of STYLES) {
        for (const title of TITLES) {
          for (const line of LINES(title)) {
            const before = analyzeTaskLine(line)!;
            const written = withId(line, id, style);
            assert.notEqual(written, line, `${style} ${id} was not written into ${JSON.stringify(line)}`);
            assert.equal(locateTaskLine(written)?.id?.value, id, `${JSON.stringify(written)} (${style}) does not read back as ${id}`);
            const after = analyzeTaskLine(written)!;
            assert.equal(after.id?.value, id);
            assert.equal(after.title, before.title, `the title changed in ${JSON.stringify(written)}`);
            assert.equal(after.status, before.status);
            // Writing the same id again changes nothing.
            assert.equal(withId(written, id, style), written);
          }
        }
      }
    });
  }

  it('the first sync of "SC-001: …" then an id-less task writes an id that the next parse reads (no SC-002 SC-002 …)', () => {
    const text = '- [x] SC-001: First criterion\n- [ ] Second criterion\n';
    const list = parseTaskList(text);
    const line = text.split('\n')[1];
    const written = withId(line, list.tasks[1].id, 'bare');
    assert.equal(parseTaskList(`${text.split('\n')[0]}\n${written}\n`).tasks[1].idExplicit, true, written);
  });
});
