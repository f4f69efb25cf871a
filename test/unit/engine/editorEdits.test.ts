// EditorEdits: which editor applies the write-backs' edits, and the file written instead when it does not answer.
import * as assert from 'node:assert/strict';
import type { ApplyEditsParams, ApplyEditsResult } from '../../../src/protocol/engineProtocol';
import { EditorEdits } from '../../../src/engine/editorEdits';

const params = { path: '/plan/TASKLIST.md', version: 1, edits: [{ line: 3, text: '- [x] T1' }] } as unknown as ApplyEditsParams;

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function kit(timeoutMs = 10_000) {
  const said: string[] = [];
  let ask: ((p: ApplyEditsParams) => Promise<ApplyEditsResult>) | undefined;
  let answered = deferred<void>();
  const edits = new EditorEdits({
    use: (a) => (ask = a),
    warn: (m) => void said.push(`warn ${m}`),
    info: (m) => {
      said.push(`info ${m}`);
      answered.resolve();
    },
    timeoutMs,
  });
  return {
    edits,
    said,
    ask: () => ask,
    nextAnswer: () => (answered = deferred<void>()).promise,
  };
}

describe('EditorEdits: the editor asked to apply the write-backs', () => {
  it('asks the newest editor still attached; when it leaves, the one before it', async () => {
    const k = kit();
    assert.equal(k.ask(), undefined, 'no editor: the sync writes the file');
    const asked: string[] = [];
    const first = k.edits.add(async () => (asked.push('first'), { outcome: 'applied' }));
    const second = k.edits.add(async () => (asked.push('second'), { outcome: 'stale' }));
    assert.deepEqual(await k.ask()!(params), { outcome: 'stale' });
    second();
    second(); // idempotent: the first stays
    assert.deepEqual(await k.ask()!(params), { outcome: 'applied' });
    first();
    assert.equal(k.ask(), undefined);
    assert.deepEqual(asked, ['second', 'first']);
  });

  it('an editor that throws: the file is written instead, and the editor is asked again next time', async () => {
    const k = kit();
    let calls = 0;
    k.edits.add(async () => {
      if (++calls === 1) throw new Error('no document');
      return { outcome: 'applied' };
    });
    assert.deepEqual(await k.ask()!(params), { outcome: 'not-open' });
    assert.match(k.said[0], /^warn the editor could not apply edits \(no document\); writing the file instead$/);
    assert.deepEqual(await k.ask()!(params), { outcome: 'applied' });
  });

  it('an editor that does not answer in time is not asked again until it answers', async () => {
    const k = kit(0);
    const late = deferred<ApplyEditsResult>();
    let calls = 0;
    k.edits.add(() => (calls++, late.promise));
    assert.deepEqual(await k.ask()!(params), { outcome: 'not-open' });
    assert.match(k.said[0], /did not apply 1 edit\(s\) to \/plan\/TASKLIST\.md within 0 ms; writing the file instead, and until it answers/);
    assert.deepEqual(await k.ask()!(params), { outcome: 'not-open' });
    assert.equal(calls, 1, 'not asked while the first request is unanswered');
    const answered = k.nextAnswer();
    late.resolve({ outcome: 'applied' });
    await answered;
    assert.match(k.said[k.said.length - 1], /^info the editor answered the edits after \d+ s \(applied\); asking it again$/);
    assert.equal(k.said.length, 2);
  });

  it('a new editor owes no answer: it is asked at once even while the one before is silent', async () => {
    const k = kit(0);
    k.edits.add(() => new Promise<ApplyEditsResult>(() => undefined));
    assert.deepEqual(await k.ask()!(params), { outcome: 'not-open' });
    k.edits.add(async () => ({ outcome: 'applied' }));
    assert.deepEqual(await k.ask()!(params), { outcome: 'applied' });
  });
});
