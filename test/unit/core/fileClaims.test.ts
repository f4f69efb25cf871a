import * as assert from 'node:assert/strict';
import { FileClaims, fileHolds, normalizePath, pathsInText, pathsOverlap, taskPaths } from '../../../src/core/fileClaims';

describe('file claims (file-aware scheduling)', () => {
  it('reads the paths of Spec Kit task titles, not prose that has slashes', () => {
    assert.deepEqual(pathsInText('Create User model in src/models/user.py'), ['src/models/user.py']);
    assert.deepEqual(pathsInText('Contract test POST /api/users in tests/contract/test_users_post.py'), ['tests/contract/test_users_post.py']);
    assert.deepEqual(pathsInText('Set up backend/src/ and frontend/src/components/, (see docs/setup.md).'), [
      'backend/src/',
      'frontend/src/components/',
      'docs/setup.md',
    ]);
    assert.deepEqual(pathsInText('Add a CI/CD pipeline, read/write locks and/or TCP/IP; see https://x.dev/a/b.html and ~/.bashrc'), []);
    assert.deepEqual(pathsInText('Bump `package.json` and `src\\win\\path.ts` but not `npm run build`'), ['package.json', 'src/win/path.ts']);
    assert.deepEqual(pathsInText('Fix ./src/x.ts:42 and src/x.ts again'), ['src/x.ts']);
    assert.deepEqual(pathsInText('Two parts without extension src/models stay prose'), []);
  });

  it('normalizes: globs cut to their folder, nothing outside the repository', () => {
    assert.equal(normalizePath('src/**/*.ts'), 'src/');
    assert.equal(normalizePath('*.ts'), undefined);
    assert.equal(normalizePath('/etc/passwd'), undefined);
    assert.equal(normalizePath('../other/x.ts'), undefined);
    assert.equal(normalizePath('a//b/./c.ts'), 'a/b/c.ts');
  });

  it("a task's paths: Files: entries (a name without extension is a folder), then its title's, each once", () => {
    assert.deepEqual(taskPaths({ title: 'Model in src/models/user.py', files: ['src/models/user.py', 'src/api', '.env'] }), [
      'src/models/user.py',
      'src/api/',
      '.env',
    ]);
  });

  it('paths overlap when equal or one is a folder holding the other, never on a shared name prefix', () => {
    assert.ok(pathsOverlap('src/a.ts', 'src/a.ts'));
    assert.ok(pathsOverlap('src/', 'src/a.ts'));
    assert.ok(pathsOverlap('src/models/user.py', 'src/models'));
    assert.ok(!pathsOverlap('src/a.ts', 'src/a.tsx'));
    assert.ok(!pathsOverlap('src/model/', 'src/models/user.py'));
  });

  it('a claim holds other tasks naming an overlapping path until released; a task never holds itself', () => {
    const c = new FileClaims();
    c.claim('T1', ['src/models/', 'README.md']);
    c.claim('T2', []);
    assert.equal(c.size, 1, 'a task naming no path holds nothing');
    assert.deepEqual(c.holdOf('T3', ['docs/a.md', 'src/models/user.py']), { holder: 'T1', running: true, paths: ['src/models/user.py'] });
    assert.equal(c.holdOf('T1', ['src/models/user.py']), undefined);
    assert.equal(c.holdOf('T4', ['docs/a.md']), undefined);
    c.release('T1');
    assert.equal(c.holdOf('T3', ['src/models/user.py']), undefined);
  });

  it('for views: ready tasks are held by tasks in progress and by ready tasks before them that are not held', () => {
    const holds = fileHolds(
      [{ id: 'R', paths: ['src/a.ts'] }],
      [
        { id: 'A', paths: ['src/a.ts'] }, // held by R
        { id: 'B', paths: ['src/b.ts'] }, // free: it starts, and holds src/b.ts
        { id: 'C', paths: ['src/b.ts', 'src/a.ts'] }, // held by R first
        { id: 'D', paths: ['src/'] }, // held by R (src/ holds src/a.ts)
        { id: 'E', paths: ['lib/x.ts'] },
        { id: 'F', paths: ['lib/'] }, // held by E, which starts first
      ],
    );
    assert.deepEqual(Object.fromEntries([...holds].map(([id, h]) => [id, [h.holder, h.running, h.paths.join(',')]])), {
      A: ['R', true, 'src/a.ts'],
      C: ['R', true, 'src/a.ts'],
      D: ['R', true, 'src/'],
      F: ['E', false, 'lib/'],
    });
  });
});
