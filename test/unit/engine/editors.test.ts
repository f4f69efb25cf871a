import { strict as assert } from 'node:assert';
import { EditorStack } from '../../../src/engine/editors';

describe('the editors that apply the engine’s edits (one asked at a time)', () => {
  it('asks the newest editor still connected; when it leaves, the one before it again', () => {
    const editors = new EditorStack<string>();
    assert.equal(editors.current, undefined);
    const removeOwner = editors.add('owner window');
    const removeSecond = editors.add('second window');
    assert.equal(editors.current, 'second window');
    assert.equal(removeSecond(), true);
    assert.equal(editors.current, 'owner window', 'the owner window’s editor is asked again');
    assert.equal(removeSecond(), false, 'removing twice changes nothing');
    assert.equal(editors.current, 'owner window');
    assert.equal(removeOwner(), true);
    assert.equal(editors.current, undefined);
  });

  it('an older editor leaving does not take the newest away, and the same editor may register twice', () => {
    const editors = new EditorStack<string>();
    const first = editors.add('a');
    editors.add('b');
    const again = editors.add('a');
    assert.equal(first(), true);
    assert.equal(editors.current, 'a', 'its later registration stays');
    assert.equal(again(), true);
    assert.equal(editors.current, 'b');
  });
});
