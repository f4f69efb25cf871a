import { strict as assert } from 'node:assert';
import { EditorVersions } from '../../../src/protocol/editorVersions';

describe('EditorVersions: the numbers the engine knows an open document by', () => {
  it('an engine edit is one version past the document it was applied to, and the engine has that text exactly only when it computed on it', () => {
    const v = new EditorVersions();
    assert.equal(v.sending('a', 3), 3);
    // Computed on the text sent at 3 and applied to the document at 3: the engine's text with its edit is version 4.
    assert.deepEqual(v.applied('a', 3, 3), { version: 4, resend: false });
    // Computed on 3 but the document was at 5 (a person typed elsewhere): the engine lacks 4 and 5, so it gets 6.
    assert.deepEqual(v.applied('a', 5, 3), { version: 6, resend: true });
    // Computed on the file on disk: the engine gets the document's text.
    assert.deepEqual(v.applied('a', 6, undefined), { version: 7, resend: true });
    assert.equal(v.last('a'), 7);
  });

  it('numbers on across a close and reopen, past the last edit applied as well as the last text sent', () => {
    const v = new EditorVersions();
    assert.equal(v.last('a'), undefined);
    v.sending('a', 2);
    v.applied('a', 2, 2); // the engine has seen version 3
    v.closed('a');
    // Reopened: the editor counts from 1 again; the engine must see it as newer than 3.
    assert.equal(v.sending('a', 1), 4);
    assert.equal(v.applied('a', 1, 4).version, 5);
    assert.equal(v.last('a'), 5);
    assert.equal(v.last('b'), undefined, 'per document');
  });
});
