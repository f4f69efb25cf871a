// Real git repositories in temp dirs for the isolation tests: a repository with a first commit, files written and
// committed through the real git CLI (a person's git, with their own identity), and small readers.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Git } from '../../../src/engine/isolation/git';

/** A person's git in `cwd` (their identity, hooks on): what the tests do by hand. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_AUTHOR_NAME: 'Pat',
      GIT_AUTHOR_EMAIL: 'pat@example.com',
      GIT_COMMITTER_NAME: 'Pat',
      GIT_COMMITTER_EMAIL: 'pat@example.com',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).replace(/\n$/, '');
}

export interface TempRepo {
  /** Temp folder holding the repository and anything else of the test. */
  root: string;
  /** Main work tree. */
  dir: string;
  /** The engine's Git on the main work tree. */
  git: Git;
  write(rel: string, text: string): void;
  read(rel: string): string;
  /** Writes the files and commits them as the person; returns the commit. */
  commit(files: Record<string, string>, message?: string): string;
  head(ref?: string): string;
  cleanup(): void;
}

/** A repository on branch `main` with `files` in its first commit. */
export function tempRepo(files: Record<string, string> = { 'README.md': '# demo\n' }, prefix = 'coditect-git-'): TempRepo {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  const dir = path.join(root, 'repo');
  mkdirSync(dir);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  const repo: TempRepo = {
    root,
    dir,
    git: new Git({ cwd: dir }),
    write(rel, text) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    },
    read: (rel) => readFileSync(path.join(dir, rel), 'utf8'),
    commit(fs, message = 'person commit') {
      for (const [rel, text] of Object.entries(fs)) repo.write(rel, text);
      git(dir, 'add', '--all');
      git(dir, 'commit', '--quiet', '-m', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
    head: (ref = 'HEAD') => git(dir, 'rev-parse', ref),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  repo.commit(files, 'initial');
  return repo;
}

/** Files of a commit (`git ls-tree -r --name-only`). */
export function filesAt(dir: string, rev: string): string[] {
  return git(dir, 'ls-tree', '-r', '--name-only', rev).split('\n').filter(Boolean).sort();
}

/** Subjects of the first-parent history of `rev`, newest first. */
export function subjects(dir: string, rev = 'HEAD'): string[] {
  return git(dir, 'log', '--first-parent', '--format=%s', rev).split('\n').filter(Boolean);
}
