// The engine's side of per-task isolation: opening it for a workspace (or saying once why agents share the tree) and
// the AttemptIsolation the orchestrator calls, with the merge policy of each task read from the live config.
import { dirname } from 'node:path';
import type { TaskNode } from '../../core/model';
import type { IsolationConfig, OrchestratorConfig } from '../config';
import type { Logger } from '../logger';
import type { AttemptIsolation } from '../attemptLanding';
import type { EnginePaths } from '../paths';
import { policyOf, TaskIsolation, type LandingStore } from './taskIsolation';

/** Opens isolation for the workspace, or logs (once) why every agent works in the shared tree and returns undefined. */
export async function openIsolation(
  opts: { paths: EnginePaths; env: Record<string, string | undefined>; logger: Logger },
  config: OrchestratorConfig,
  configPath: string | undefined,
  store: LandingStore,
  redact: (s: string) => string,
  log: (message: string, taskId?: string) => void,
): Promise<TaskIsolation | undefined> {
  const { paths } = opts;
  const stateDirs = [paths.stateDir, dirname(paths.dbPath)];
  const r = await TaskIsolation.open({
    workspaceRoot: paths.workspaceRoot,
    planPath: paths.tasklistPath,
    protectedPaths: [paths.tasklistPath, ...stateDirs, ...(configPath ? [configPath] : [])],
    engineOwnedPaths: [paths.tasklistPath, ...stateDirs],
    config: config.isolation,
    store,
    env: opts.env,
    killGraceMs: config.timeouts.killGraceMs,
    log: (m, id) => log(redact(m), id),
  });
  if (r instanceof TaskIsolation) {
    opts.logger.info(`isolation: each task runs in its own git worktree (${r.manager.dir}), landed on ${r.baseBranch} by the merge queue`);
    return r;
  }
  if (r.asked) opts.logger.warn(`isolation: worktree mode is off: ${r.reason}`);
  else opts.logger.info(`isolation: ${r.reason}`);
  return undefined;
}

/** The orchestrator's view of a TaskIsolation; `config()` is the live isolation config (merge policy). */
export function attemptIsolation(iso: TaskIsolation, config: () => IsolationConfig): AttemptIsolation {
  const task = (t: TaskNode, verify = t.verify) => ({ id: t.id, title: t.title, epicId: t.epicId, featureId: t.featureId, verify });
  return {
    // `Isolation: none` on the task: it runs in the shared tree, and its work is not committed or merged by the engine.
    cwdFor: (t) => (t.isolation === 'none' ? undefined : iso.cwdFor(t.id)),
    prepare: async (t, o) => {
      await iso.prepare(task(t), o);
    },
    land: (t, verify, agentType, attempt, signal) => iso.land(task(t, verify), agentType, attempt, policyOf(config(), t), signal),
    unqueue: (id) => iso.unqueue(id),
    noteFor: (id) => iso.noteFor(id),
    changedFiles: (id) => iso.changedFiles(id),
  };
}
