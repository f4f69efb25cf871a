// The parser's phase pass: GitHub Spec Kit's implicit ordering (inside a phase, and between phases as the file's
// "Phase Dependencies" statements and `Depends on:` lines say); docs/tasklist-format.md "GitHub Spec Kit". Other files
// with phases (a GSD roadmap, a CCPM epic) get only what they state: their `Depends on: Phase N` lines, and CCPM's
// `(parallel: false)` tasks waiting for the tasks before them.
import type { DependencyRef, Diagnostic, Dialect } from '../model';
import { addBlocking, someTask, type Drafts, type EpicDraft, type Ev, type PhaseSelector, type TaskRange } from './drafts';
import type { AssignedId } from './numbering';

// ---- Spec Kit implicit rules ----------------------------------------------------------------------------------

export function applySpecKitRules(
  drafts: Drafts,
  epics: readonly EpicDraft[],
  ids: readonly AssignedId[],
  rules: readonly Extract<Ev, { k: 'phaseRule' }>[],
  deps: DependencyRef[][],
  diagnostics: Diagnostic[],
  dialect: Dialect,
): void {
  // Spec Kit orders a phase's tasks unless they say [P], and each phase after the one before; other files order
  // only what they state (a CCPM `(parallel: false)` task after the tasks before it).
  const strict = dialect === 'speckit';
  const sequential = (t: number): boolean => (strict ? !drafts.node(t).parallel : drafts.rare(t)?.serial === true);
  const idOf = (d: number) => ids[d].id;
  const isPlainWork = (d: number) => drafts.isPlainWork(d);
  const addDep = (d: number, on: number, source: 'implicit' | 'phase', line: number) => {
    const id = idOf(on);
    if (id !== ids[d].id) addBlocking(deps, d, id, source, line);
  };

  if (!strict) {
    for (const e of epics) if (!e.phase && someTask(e.tasks, (t) => drafts.rare(t)?.serial === true)) orderTasks(e.tasks);
  }
  const phases = epics.filter((e) => e.phase && someTask(e.tasks, isPlainWork));
  if (phases.length === 0) return;

  // Within a phase: a sequential task (Spec Kit: without [P]) waits for the previous sequential task and every other
  // task since; the others (and the first task) wait for nothing in the phase: they are its entries.
  function orderTasks(tasks: TaskRange): { ent: number[]; sink: number[] } {
    const ent: number[] = [];
    let lastSeq: number | undefined;
    let sinceSeq: number[] = [];
    for (let t = tasks.from; t < tasks.to; t++) {
      // Groups, criteria and optional tasks stand outside the order: a group follows its children (parse/groups.ts),
      // and nothing waits on a task the engine never runs by itself.
      if (!isPlainWork(t)) continue;
      if (!sequential(t)) {
        ent.push(t);
        sinceSeq.push(t);
        continue;
      }
      const before = lastSeq !== undefined ? [lastSeq, ...sinceSeq] : sinceSeq;
      if (before.length === 0) ent.push(t);
      for (const b of before) addDep(t, b, 'implicit', drafts.line(t));
      lastSeq = t;
      sinceSeq = [];
    }
    return { ent, sink: lastSeq !== undefined ? [lastSeq, ...sinceSeq] : sinceSeq };
  }
  const entries = new Map<EpicDraft, number[]>();
  const sinks = new Map<EpicDraft, number[]>();
  for (const ph of phases) {
    const { ent, sink } = orderTasks(ph.tasks);
    entries.set(ph, ent);
    sinks.set(ph, sink);
  }

  // Between phases: each entry task waits for the last tasks of the phases its phase depends on — by default the
  // phase before it, unless a "Phase Dependencies" bullet or a `Depends on:` line in the phase says otherwise.
  const byNumber = new Map<number, EpicDraft>();
  for (const ph of phases) if (!byNumber.has(ph.info.phaseNo!)) byNumber.set(ph.info.phaseNo!, ph);
  const last = phases[phases.length - 1];
  const specificity = (sel: PhaseSelector, ph: EpicDraft): number => {
    const n = ph.info.phaseNo!;
    switch (sel.kind) {
      case 'exact':
        return sel.n === n ? 3 : 0;
      case 'final':
        return ph === last ? 3 : 0;
      case 'story':
        return storyOf(ph) === sel.n ? 3 : 0;
      case 'list':
        return sel.ns.includes(n) ? 2 : 0;
      case 'from':
        return n >= sel.n ? 1 : 0;
      case 'range':
        return n >= sel.a && n <= sel.b ? 1 : 0;
    }
  };
  phases.forEach((ph, k) => {
    let chosen: { line: number; text: string } | undefined = ph.selfRule;
    if (!chosen) {
      let best = 0;
      for (const r of rules) {
        const s = specificity(r.sel, ph);
        if (s > 0 && s >= best) {
          best = s;
          chosen = r;
        }
      }
    }
    let preds: EpicDraft[] = k > 0 && strict ? [phases[k - 1]] : [];
    let line: number | undefined;
    if (chosen) {
      const resolved = resolvePhaseText(chosen.text, phases.slice(0, k), byNumber);
      if (resolved) {
        preds = resolved;
        line = chosen.line;
      } else {
        diagnostics.push({
          line: chosen.line,
          column: 0,
          severity: 'info',
          code: 'phase-dependency-unresolved',
          message: `not understood: "${chosen.text.trim()}" names no earlier phase; ${ph.info.title} ${strict ? 'keeps depending on the phase before it' : 'depends on no other phase'}`,
        });
      }
    }
    for (const pred of preds) for (const t of entries.get(ph)!) for (const s of sinks.get(pred)!) addDep(t, s, 'phase', line ?? drafts.line(t));
  });
}

/** Which earlier phases a sentence like "Depends on Setup completion - BLOCKS all user stories" names; [] = none. */
function resolvePhaseText(text: string, earlier: readonly EpicDraft[], byNumber: ReadonlyMap<number, EpicDraft>): EpicDraft[] | undefined {
  // Only the main clause counts: "… - BLOCKS all user stories" describes dependents, not dependencies.
  const clause = text.split(/[ \t]+[-–—][ \t]+|;|\.(?:[ \t]|$)/)[0];
  if (/\b(?:no dependenc|none\b|nothing\b|can start immediately|independent)/i.test(clause) && !/\bdepends?\b/i.test(clause)) return [];
  const found = new Set<EpicDraft>();
  const allowed = new Set(earlier);
  // `Phase 2`, `Phases 2 and 3`, `Phase 3, 4, 5`
  for (const m of clause.matchAll(/\bPhases?[ \t]+(\d+(?:[ \t]*(?:,|and|&|or)[ \t]*\d+)*)/gi)) {
    for (const d of m[1].match(/\d+/g) ?? []) {
      const ph = byNumber.get(Number(d));
      if (ph && allowed.has(ph)) found.add(ph);
    }
  }
  // `User Story 1`, `US1`: the phase of that story.
  for (const m of clause.matchAll(/\b(?:User[ \t]+Story[ \t]+|US[ \t]?)(\d+)\b/gi)) {
    for (const ph of earlier) if (storyOf(ph) === Number(m[1])) found.add(ph);
  }
  if (/\buser[ \t]+stor(?:y|ies)\b/i.test(clause) && !/\buser[ \t]+story[ \t]+\d/i.test(clause)) {
    for (const ph of earlier) if (/\buser[ \t]+stor/i.test(ph.info.title)) found.add(ph);
  }
  if (/\b(?:previous|prior)[ \t]+phase\b/i.test(clause) && earlier.length) found.add(earlier[earlier.length - 1]);
  for (const ph of earlier) {
    const key = phaseKey(ph);
    if (key && new RegExp(String.raw`\b${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\b`, 'i').test(clause)) found.add(ph);
  }
  return found.size > 0 ? earlier.filter((p) => found.has(p)) : undefined;
}

/** The user story a phase is about: "Phase 4: User Story 2 - Push" → 2. */
function storyOf(ph: EpicDraft): number | undefined {
  const m = /\bUser[ \t]+Story[ \t]+(\d+)\b/i.exec(ph.info.title);
  return m ? Number(m[1]) : undefined;
}

/** "Phase 2: Foundational (Blocking Prerequisites)" → "Foundational"; "Phase 3: User Story 1 - …" → "User Story 1". */
function phaseKey(ph: EpicDraft): string | undefined {
  const t = ph.info.title.replace(/^phase[ \t]+\d+[ \t]*[:.\-–—]?[ \t]*/i, '');
  const k = t.split(/[ \t]*(?:\(|[-–—:&][ \t]|,)/)[0].trim();
  return k.length >= 3 ? k : undefined;
}
