// Builds TaskList objects directly for core tests (no parser involved), one task per line in writing order.
import type { DependencyRef, EpicNode, FeatureNode, Priority, TaskList, TaskNode, TaskStatus } from '../../../src/core/model';

/** A compact task spec: deps are ids (blocking, explicit) or full refs. */
export interface TaskSpec {
  id: string;
  deps?: (string | (Partial<DependencyRef> & { id: string }))[];
  status?: TaskStatus;
  priority?: Priority;
  hours?: number;
  blockers?: string[];
  title?: string;
  epicId?: string;
  featureId?: string;
  agent?: string;
}

/** Task i sits on 0-based line 2·i + 3 and its dependency refs on the next line. */
export function taskList(specs: TaskSpec[], extra: { epics?: EpicNode[]; features?: FeatureNode[] } = {}): TaskList {
  const tasks: TaskNode[] = specs.map((s, i) => {
    const line = 2 * i + 3;
    return {
      id: s.id,
      idExplicit: true,
      epicId: s.epicId ?? 'E001',
      featureId: s.featureId ?? 'F001.01',
      title: s.title ?? `Task ${s.id}`,
      status: s.status ?? 'pending',
      priority: s.priority,
      estimateHours: s.hours,
      line,
      dependsOn: (s.deps ?? []).map((d) =>
        typeof d === 'string' ? { id: d, source: 'explicit', type: 'blocks', line: line + 1 } : { source: 'explicit', type: 'blocks', line: line + 1, ...d },
      ),
      blockers: s.blockers ?? [],
      agent: s.agent,
      parallel: false,
      tags: [],
    };
  });
  return {
    dialect: 'coditect',
    eol: '\n',
    epics: extra.epics ?? [{ id: 'E001', idExplicit: true, title: 'Core', line: 0 }],
    features: extra.features ?? [{ id: 'F001.01', idExplicit: true, epicId: 'E001', title: 'Basics', line: 1 }],
    tasks,
    diagnostics: [],
  };
}
