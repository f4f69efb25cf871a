// MarkdownFault: a task list the engine cannot write is said once, retried, and said again once it is written.
import * as assert from 'node:assert/strict';
import type { Diagnostic } from '../../../src/core/model';
import { MarkdownFault, type WriteReport } from '../../../src/engine/markdownFault';

const failedWrite = (message: string): WriteReport => ({
  diagnostics: [{ code: 'sync-write-failed', severity: 'error', message, line: 0, column: 0 } as Diagnostic],
  pendingWriteBack: true,
});
const written: WriteReport = { diagnostics: [], pendingWriteBack: false };
const stillPending: WriteReport = { diagnostics: [], pendingWriteBack: true };

describe('MarkdownFault: the task list write fault episode', () => {
  it('says the first failure once, keeps the latest reason, and retries the write-back', async () => {
    const said: string[] = [];
    let retried!: () => void;
    const retry = new Promise<void>((resolve) => (retried = resolve));
    const m = new MarkdownFault({
      writeBack: () => retried(),
      began: (msg) => void said.push(`began: ${msg}`),
      ended: () => void said.push('ended'),
      stopping: () => false,
      initialMs: 0,
      maxMs: 0,
    });
    try {
      assert.equal(m.fault, undefined);
      m.note(failedWrite('EROFS: read-only file system'));
      m.note(failedWrite('ENOSPC: no space left on device'));
      assert.equal(m.fault, 'ENOSPC: no space left on device');
      assert.deepEqual(said, ['began: EROFS: read-only file system']);
      await retry;
    } finally {
      m.close();
      m.close();
    }
  });

  it('ends the episode only with a sync that leaves nothing unwritten, and says so once', () => {
    const said: string[] = [];
    const m = new MarkdownFault({
      writeBack: () => undefined,
      began: () => void said.push('began'),
      ended: () => void said.push('ended'),
      stopping: () => true,
    });
    m.note(written);
    assert.deepEqual(said, [], 'no episode, nothing to end');
    m.note(failedWrite('EACCES'));
    m.note(stillPending);
    assert.equal(m.fault, 'EACCES', 'statuses still wait for the file');
    m.note(written);
    m.note(written);
    assert.equal(m.fault, undefined);
    assert.deepEqual(said, ['began', 'ended']);
    m.close();
  });

  it('reads only an error of the write: a warning with the same code opens no episode', () => {
    const m = new MarkdownFault({ writeBack: () => undefined, began: () => assert.fail('no episode expected'), ended: () => undefined, stopping: () => true });
    m.note({ diagnostics: [{ code: 'sync-write-failed', severity: 'warning', message: 'w', line: 0, column: 0 } as Diagnostic], pendingWriteBack: true });
    assert.equal(m.fault, undefined);
    m.close();
  });
});
