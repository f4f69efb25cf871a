// v2-work-items.json: the plan as a flat list of work items for other tools (`coditect export`), one per live task with
// its epic, feature, status (the database's, which runs ahead of the markdown while agents work), priority, estimate,
// dependencies, agent, verify command and blockers. Pure: the document is built from values only; the engine writes
// it (src/engine/sync/workItems.ts).
import { taskFields } from './merge';
import { TASK_STATUSES, type TaskList, type TaskStatus } from './model';

/** One item of v2-work-items.json. */
export interface WorkItem {
  id: string;
  title: string;
  epic: { id: string; title: string };
  feature: { id: string; title: string };
  status: TaskStatus;
  priority: string | null;
  estimateHours: number | null;
  dependsOn: { id: string; type: string; source: string }[];
  agent: string | null;
  verify: string | null;
  blockers: string[];
  tags: string[];
  retryCount: number;
  /** 1-based line of the task in the markdown. */
  line: number;
}

/** Version of the v2-work-items.json layout. */
export const WORK_ITEMS_VERSION = 1;

/** The whole v2-work-items.json document. */
export interface WorkItemsDocument {
  version: typeof WORK_ITEMS_VERSION;
  generatedAt: string;
  tasklist: string;
  /** `total` and one count per status. */
  counts: Record<string, number>;
  epics: { id: string; title: string; priority: string | null; phase: boolean }[];
  features: { id: string; epicId: string; title: string; priority: string | null }[];
  items: WorkItem[];
}

/**
 * The document for `list` (the first task of a duplicated id only), with each task's status and retry count from
 * `runtime` (the database's live rows) where it has one. `now` is epoch ms.
 */
export function workItemsDocument(
  list: TaskList,
  runtime: ReadonlyMap<string, { status: TaskStatus; retryCount: number }>,
  now: number,
  tasklistPath: string,
): WorkItemsDocument {
  const epics = new Map(list.epics.map((e) => [e.id, e]));
  const features = new Map(list.features.map((f) => [f.id, f]));
  const seen = new Set<string>();
  const items: WorkItem[] = [];
  for (const t of list.tasks) {
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    const f = taskFields(t);
    const rt = runtime.get(t.id);
    items.push({
      id: t.id,
      title: t.title,
      epic: { id: t.epicId, title: epics.get(t.epicId)?.title ?? t.epicId },
      feature: { id: t.featureId, title: features.get(t.featureId)?.title ?? t.featureId },
      status: rt?.status ?? t.status,
      priority: t.priority ?? null,
      estimateHours: t.estimateHours ?? null,
      dependsOn: f.dependsOn,
      agent: t.agent ?? null,
      verify: t.verify ?? null,
      blockers: f.blockers,
      tags: t.tags,
      retryCount: rt?.retryCount ?? 0,
      line: t.line + 1,
    });
  }
  const counts: Record<string, number> = { total: items.length };
  for (const s of TASK_STATUSES) counts[s] = 0;
  for (const i of items) counts[i.status]++;
  return {
    version: WORK_ITEMS_VERSION,
    generatedAt: new Date(now).toISOString(),
    tasklist: tasklistPath,
    counts,
    epics: list.epics.map((e) => ({ id: e.id, title: e.title, priority: e.priority ?? null, phase: e.phase ?? false })),
    features: list.features.map((x) => ({ id: x.id, epicId: x.epicId, title: x.title, priority: x.priority ?? null })),
    items,
  };
}
