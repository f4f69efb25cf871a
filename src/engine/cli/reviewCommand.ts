// `coditect review list|show|accept|reject|retry`: a person's review of task branches (docs/isolation.md, "Review").
// Every action is the engine protocol's request of the same meaning, answered by the running engine over its control
// socket or by an engine opened here (list and show then open it read-only: a reading command writes nothing).
import type { EngineApi } from '../engineApi';
import type { ReviewView } from '../../protocol/engineProtocol';
import type { CliOptions } from './args';

/** The review requests, from whichever engine answers. */
export type ReviewClient = Pick<EngineApi, 'reviews' | 'showReview' | 'acceptReview' | 'rejectReview' | 'retryReview' | 'resolveConflicts'>;

interface Io {
  out(s: string): void;
  err(s: string): void;
}

const stateText = (s: ReviewView['state']): string => s.replace('_', ' ');

/** Runs one review action; resolves with the exit code (0 done; 1 nothing landed or nothing to review). */
export async function cmdReview(client: ReviewClient, o: CliOptions, io: Io): Promise<number> {
  const { action, taskId } = o.review!;
  const json = (v: unknown): void => io.out(JSON.stringify(v, null, 2));
  switch (action) {
    case 'list': {
      const r = await client.reviews();
      if (o.json) json(r);
      else if (!r.isolation) io.out('isolation is off (isolation: none, or not a git repository): no task branch to review');
      else if (r.reviews.length === 0) io.out('no task branch waits for review');
      else
        for (const v of r.reviews) {
          io.out(`${v.taskId}  ${stateText(v.state).padEnd(15)} ${v.stat.text.padEnd(22)} ${v.branch}  ${v.title}`);
          io.out(`      ${firstLine(v.reason)}`);
        }
      return 0;
    }
    case 'show': {
      const r = await client.showReview({ taskId: taskId! });
      if (o.json) {
        json(r);
        return 0;
      }
      const v = r.review;
      io.out(`${v.taskId} ${v.title}`);
      io.out(`  ${stateText(v.state)}: ${v.stat.text}, ${v.branch} (${v.base.slice(0, 12)}..${v.head.slice(0, 12)}) onto ${v.baseBranch}`);
      if (v.worktree) io.out(`  worktree ${v.worktree}`);
      for (const line of v.reason.trimEnd().split('\n')) io.out(`  | ${line}`);
      for (const f of v.changes)
        io.out(
          `  ${f.added === undefined ? '   bin' : `+${f.added}`.padStart(6)} ${f.deleted === undefined ? '    ' : `−${f.deleted}`.padEnd(6)} ${f.oldPath ? `${f.oldPath} → ` : ''}${f.path}`,
        );
      io.out('');
      io.out(r.diff);
      if (r.truncated) io.err('(diff truncated; `git diff` the two commits above for all of it)');
      return 0;
    }
    case 'accept': {
      const r = await client.acceptReview(taskId!);
      if (o.json) json(r);
      else if (r.outcome === 'merged') io.out(`${taskId}: merged at ${r.commit.slice(0, 12)}; the task is completed`);
      else if (r.outcome === 'waiting') io.out(`${taskId}: accepted and queued, not merged yet: ${r.reason}`);
      else io.out(`${taskId}: not merged, it still needs review: ${r.reason}`);
      return r.outcome === 'merged' ? 0 : 1;
    }
    case 'reject': {
      const r = await client.rejectReview({ taskId: taskId!, note: o.note });
      if (o.json) json(r);
      else
        io.out(
          `${taskId}: rejected; the task is ${r.status} and starts again from the integration branch${o.note ? ' with your note in its prompt' : ''}${r.keptBranch ? `; the rejected work is kept on ${r.keptBranch}` : ''}`,
        );
      return 0;
    }
    case 'retry': {
      const r = await client.retryReview({ taskId: taskId!, note: o.note });
      if (o.json) json(r);
      else io.out(`${taskId}: the task is ${r.status}; its next attempt continues in its worktree${o.note ? ' with your note in its prompt' : ''}`);
      return 0;
    }
    case 'resolve': {
      const r = await client.resolveConflicts({ taskId: taskId!, note: o.note });
      if (o.json) json(r);
      else
        io.out(
          r.files.length > 0
            ? `${taskId}: the task is ${r.status}; its next attempt resolves the conflicts in ${r.files.join(', ')} (the previous work is kept on ${r.keptBranch})`
            : `${taskId}: the task is ${r.status}; its change now applies cleanly to the integration branch and its next attempt checks it there (the previous work is kept on ${r.keptBranch})`,
        );
      return 0;
    }
  }
}

function firstLine(s: string): string {
  const line = s.split('\n')[0];
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}
