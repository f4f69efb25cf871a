// Git checkpoints: when a feature or an epic completes and the workspace is a git repository, a lightweight
// annotated tag `coditect/checkpoint/<id>` marks the commit the work reached. Never commits, never pushes.
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
 * Creates (or moves, when the group completed again after a reset) the checkpoint tag at HEAD. Resolves with the tag
 * name, or undefined when `root` is not a git work tree or has no commit yet.
 */
export async function createGitCheckpoint(root: string, id: string, message: string): Promise<string | undefined> {
  if (!existsSync(join(root, '.git'))) return undefined;
  try {
    await run('git', ['rev-parse', '--verify', 'HEAD'], { cwd: root });
  } catch {
    return undefined; // no commit to tag yet
  }
  const tag = checkpointTagName(id);
  await run('git', ['-c', 'user.name=CODITECT', '-c', 'user.email=coditect@localhost', 'tag', '-f', '-a', tag, '-m', message], { cwd: root });
  return tag;
}
