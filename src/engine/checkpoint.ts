// Git checkpoints: when a feature or an epic completes and the workspace is a git repository, an annotated tag
// `coditect/checkpoint/<id>` marks the commit the work reached: with isolation, the integration branch's tip (where
// the feature's tasks landed: a task completes only once merged), whatever the workspace has checked out; without,
// HEAD of the workspace. Never commits, never pushes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Tag name for a checkpoint of a feature/epic id (git ref-safe). */
export function checkpointTagName(id: string): string {
  return `coditect/checkpoint/${id.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/**
 * Creates (or moves, when the group completed again after a reset) the checkpoint tag at `branch`'s tip (the
 * integration branch), else at HEAD. Resolves with the tag name, or undefined when `root` is not a git work tree or
 * has no commit yet.
 */
export async function createGitCheckpoint(root: string, id: string, message: string, branch?: string): Promise<string | undefined> {
  if (!existsSync(join(root, '.git'))) return undefined;
  const target = branch === undefined ? 'HEAD' : `refs/heads/${branch}`;
  let commit: string;
  try {
    commit = (await run('git', ['rev-parse', '--verify', '--quiet', `${target}^{commit}`], { cwd: root })).stdout.trim();
  } catch {
    return undefined; // no commit to tag yet
  }
  const tag = checkpointTagName(id);
  // The commit, not the ref: the queue may move the branch between reading it and tagging.
  await run('git', ['-c', 'user.name=CODITECT', '-c', 'user.email=coditect@localhost', 'tag', '-f', '-a', tag, '-m', message, commit], { cwd: root });
  return tag;
}
