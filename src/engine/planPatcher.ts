// What each re-read of the plan changed since the plan the clients have, as a `plan:patched` (engineProtocol.ts).
// Typing into a 10,000-task plan re-reads it on every sync; sending the whole snapshot each time put megabytes through
// the editor's pipe, its plan store, the tree and the dashboard per keystroke (#15). A line typed near the top moves
// every line below it: those moves go as a few line shifts, not as 10,000 tasks.
import type { LineShift, PlanPatchedParams } from '../protocol/engineProtocol';
import type { PlanSnapshot } from '../protocol/views';

/** An item as the clients have it: its line, and the rest of its view as JSON (equal JSON: nothing but the line moved). */
interface Item {
  line: number;
  key: string;
}

/** The plan the clients have. */
interface Baseline {
  tasks: Map<string, Item>;
  groups: Map<string, Item>;
  /** The epics' and features' ids in order: a patch keeps them; any other change is sent as a whole snapshot. */
  groupOrder: string;
}

/** Either what changed, or (groups added, removed or reordered, or nothing sent yet) the whole plan. */
export type PlanChange = { kind: 'patch'; patch: PlanPatchedParams } | { kind: 'snapshot'; snapshot: PlanSnapshot };

/** Keeps the plan the clients have and its revision; each plan the engine emits is diffed against it. */
export class PlanPatcher {
  private baseline: Baseline | undefined;
  /** A stamped snapshot whose baseline is not made yet: the first snapshot (initialize) waits for no diffing work. */
  private unread: PlanSnapshot | undefined;
  private rev = 0;

  private get base(): Baseline | undefined {
    if (this.unread) {
      this.baseline = baseline(this.unread);
      this.unread = undefined;
    }
    return this.baseline;
  }
  private set base(b: Baseline) {
    this.unread = undefined;
    this.baseline = b;
  }

  get revision(): number {
    return this.rev;
  }

  /**
   * A snapshot a client asked for (initialize, a dashboard, an event stream), stamped with the current revision. The
   * first becomes the baseline; later ones hold the same lines and groups (every change of those is emitted at once),
   * with statuses at most newer, which a patch sends again in full.
   */
  stamp(s: PlanSnapshot): PlanSnapshot {
    if (!this.baseline && !this.unread) this.unread = s;
    return { ...s, revision: this.rev };
  }

  /** A whole new plan (the config reloaded): the clients take it as it is. */
  replace(s: PlanSnapshot): PlanSnapshot {
    this.rev++;
    this.base = baseline(s);
    return { ...s, revision: this.rev };
  }

  /** The change from the clients' plan to `s`, which becomes theirs. */
  next(s: PlanSnapshot): PlanChange {
    const before = this.base;
    const after = baseline(s);
    if (!before || before.groupOrder !== after.groupOrder) return { kind: 'snapshot', snapshot: this.replace(s) };
    // Items unchanged but for their line: [line before, line after], shifts are runs of them with one delta.
    const kept: [number, number][] = [];
    const changed = <V extends { id: string }>(views: readonly V[], prefix: string, was: Map<string, Item>, now: Map<string, Item>): V[] => {
      const out: V[] = [];
      for (const v of views) {
        const b = was.get(prefix + v.id);
        const a = now.get(prefix + v.id)!;
        if (!b || b.key !== a.key) out.push(v);
        else kept.push([b.line, a.line]);
      }
      return out;
    };
    const tasks = changed(s.tasks, '', before.tasks, after.tasks);
    const epics = changed(s.epics, 'epic:', before.groups, after.groups);
    const features = changed(s.features, 'feature:', before.groups, after.groups);
    const removed: string[] = [];
    for (const id of before.tasks.keys()) if (!after.tasks.has(id)) removed.push(id);
    const base = this.rev;
    this.rev++;
    this.base = after;
    const patch: PlanPatchedParams = {
      base,
      revision: this.rev,
      shifts: shiftsOf(kept),
      tasks,
      removed,
      epics,
      features,
      counts: s.counts,
      diagnostics: s.diagnostics,
      ...(s.gates !== undefined ? { gates: s.gates } : {}),
    };
    return { kind: 'patch', patch };
  }
}

/**
 * Runs of items (in the order of their old lines) that moved by the same delta. Items left out (changed, removed) sit
 * inside a run harmlessly: a client takes those from the patch. An unmoved item ends a run, so no shift covers it.
 */
export function shiftsOf(kept: [number, number][]): LineShift[] {
  kept.sort((x, y) => x[0] - y[0]);
  const out: LineShift[] = [];
  let run: LineShift | undefined;
  for (const [from, to] of kept) {
    const delta = to - from;
    if (run && run.delta === delta) {
      run.to = from;
      continue;
    }
    run = delta === 0 ? undefined : { from, to: from, delta };
    if (run) out.push(run);
  }
  return out;
}

function baseline(s: PlanSnapshot): Baseline {
  const tasks = new Map<string, Item>();
  for (const { line, ...rest } of s.tasks) tasks.set(rest.id, { line, key: JSON.stringify(rest) });
  const groups = new Map<string, Item>();
  for (const { line, ...rest } of s.epics) groups.set(`epic:${rest.id}`, { line, key: JSON.stringify(rest) });
  for (const { line, ...rest } of s.features) groups.set(`feature:${rest.id}`, { line, key: JSON.stringify(rest) });
  const groupOrder = [...s.epics.map((e) => e.id), '|', ...s.features.map((f) => f.id)].join('\n');
  return { tasks, groups, groupOrder };
}
