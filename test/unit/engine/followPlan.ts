// The plan as a client holds it: the engine's snapshot, then each `plan:changed` taken and each `plan:patched` applied
// with the protocol's one rule (src/protocol/planPatch.ts), as the editor's plan store and the dashboard do.
import type { EngineRuntime } from '../../../src/engine/runtime';
import { applyPlanPatch, patchFit } from '../../../src/protocol/planPatch';
import type { PlanSnapshot } from '../../../src/protocol/views';

/** Calls `onPlan` with the plan after each change; returns the unsubscribe. A patch the client cannot apply throws. */
export function followPlan(rt: EngineRuntime, onPlan: (s: PlanSnapshot) => void): () => void {
  let plan = rt.snapshot();
  const offs = [
    rt.on('plan:changed', (e) => {
      plan = e.snapshot;
      onPlan(plan);
    }),
    rt.on('plan:patched', (p) => {
      const fit = patchFit(plan.revision, p);
      if (fit === 'has') return;
      if (fit === 'gap') throw new Error(`a patch from revision ${p.base} reached a client at ${String(plan.revision)}`);
      const next = applyPlanPatch(plan, p);
      plan = { ...plan, revision: next.revision, tasks: next.tasks, epics: next.epics, features: next.features, counts: p.counts, diagnostics: p.diagnostics };
      if (p.gates !== undefined) plan.gates = p.gates;
      onPlan(plan);
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
