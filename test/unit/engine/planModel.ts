// A view model (planView.ts) over a plan read with the database's rows, as the engine's live plan is built from them.
import type { TaskList } from '../../../src/core/model';
import { PlanState } from '../../../src/engine/planState';
import type { PlanModel } from '../../../src/engine/planView';
import type { TaskRuntime } from '../../../src/engine/ports';

export function planModel(list: TaskList, runtimes: Map<string, TaskRuntime>): PlanModel {
  return { plan: new PlanState(list, new Map([...runtimes].map(([id, r]) => [id, r.status]))), runtimes };
}
