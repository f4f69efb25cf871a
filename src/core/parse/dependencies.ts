// The parser's dependency pass: every reference written on a task line, in its sub-bullets or in a group resolves to
// task ids (a feature, epic or phase id stands for all of its tasks), one reference per id in writing order.
import type { DependencyRef, Diagnostic } from '../model';
import { NO_DEPS, refDiagnostic, type Drafts, type EpicDraft, type RefTable, type TaskRange } from './drafts';
import type { AssignedId, IdIndex } from './numbering';

export function resolveDependencies(
  drafts: Drafts,
  ids: readonly AssignedId[],
  epics: readonly EpicDraft[],
  diagnostics: Diagnostic[],
  /** The first task with each id (assignTaskIds). */
  byId: IdIndex,
  /** The references the tasks' drafts point into. */
  refs: RefTable,
): DependencyRef[][] {
  const groups = new Map<string, TaskRange>();
  for (const e of epics) {
    groups.set(e.id, e.tasks);
    if (e.phase && e.info.phaseNo !== undefined) groups.set(`Phase ${e.info.phaseNo}`, e.tasks);
    for (const f of e.features) groups.set(f.id, f.tasks);
  }
  const lists = new Array<DependencyRef[]>(drafts.count);
  for (let i = 0; i < drafts.count; i++) lists[i] = resolveOne(i);
  return lists;

  function resolveOne(i: number): DependencyRef[] {
    const own = ids[i].id;
    const out = new DepSet();
    // One diagnostic per problem and task, however often the same bad id is written (a set only once there is one).
    let reported: Set<string> | undefined;
    const at = drafts.refAt(i);
    for (let k = at; k < at + drafts.refCount(i); k++) {
      const ref = refs.ref(k);
      const target = byId.get(ref.id);
      if (target !== undefined) {
        if (ids[target].id === own) {
          if (ref.kind !== 'mention' && !reported?.has(ref.id)) {
            (reported ??= new Set()).add(ref.id);
            // A written dependency on itself is a cycle of one: kept, so the graph holds the task (a guess from prose is dropped).
            const held = ref.kind === 'list';
            diagnostics.push(
              refDiagnostic(
                ref,
                'error',
                'self-dependency',
                held ? `${own} depends on itself; ${own} is held until the reference is removed` : `${own} depends on itself; the dependency is ignored`,
                { taskId: own },
              ),
            );
            if (held) out.add({ id: own, source: ref.source, type: ref.type, line: ref.line });
          }
          continue;
        }
        // The target's own id string (equal to ref.id): one string per task, not one per reference.
        out.add({ id: ids[target].id, source: ref.source, type: ref.type, line: ref.line });
        continue;
      }
      const group = groups.get(ref.id);
      if (group) {
        // A feature, epic or phase id stands for all of its tasks (never the task itself) the engine runs: a group is
        // covered by its children, and criteria and optional tasks are never waited for.
        for (let g = group.from; g < group.to; g++) {
          if (!drafts.isPlainWork(g)) continue;
          const gid = ids[g].id;
          if (gid !== own) out.add({ id: gid, source: ref.source, type: ref.type, line: ref.line });
        }
        continue;
      }
      if (ref.kind === 'mention' || reported?.has(ref.id)) continue;
      (reported ??= new Set()).add(ref.id);
      // A written dependency on an unknown id is kept: the graph holds the task until the reference is fixed (running
      // it would run it before what the person meant). An id guessed from prose (`after T9`) is only a warning.
      const held = ref.kind === 'list';
      if (held) out.add({ id: ref.id, source: ref.source, type: ref.type, line: ref.line });
      diagnostics.push(
        refDiagnostic(
          ref,
          held ? 'error' : 'warning',
          'unknown-dependency',
          held
            ? `${own} depends on unknown task ${ref.id}; ${own} is held until the reference is fixed`
            : `${own} depends on unknown task ${ref.id}; the dependency is ignored`,
          {
            taskId: own,
            id: ref.id,
          },
        ),
      );
    }
    return out.exact();
  }
}

/** A task's dependencies, one per id in writing order; a blocking reference upgrades an earlier soft one. */
class DepSet {
  readonly refs: DependencyRef[] = [];
  /** Index by id, built only for long lists (most tasks have a few dependencies: a scan is cheaper than a Map each). */
  private at?: Map<string, number>;
  add(ref: DependencyRef): void {
    const k = this.indexOf(ref.id);
    if (k < 0) {
      this.at?.set(ref.id, this.refs.length);
      this.refs.push(ref);
      if (!this.at && this.refs.length > 16) this.at = new Map(this.refs.map((r, i) => [r.id, i]));
    } else if (this.refs[k].type === 'soft' && ref.type === 'blocks') {
      this.refs[k] = ref;
    }
  }
  /** The references, with no spare capacity (an array grown by push keeps room for 17); none: the shared NO_DEPS. */
  exact(): DependencyRef[] {
    return this.refs.length === 0 ? NO_DEPS : this.refs.slice();
  }
  private indexOf(id: string): number {
    if (this.at) return this.at.get(id) ?? -1;
    for (let i = 0; i < this.refs.length; i++) if (this.refs[i].id === id) return i;
    return -1;
  }
}
