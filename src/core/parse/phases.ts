// The parser's phase pass: GitHub Spec Kit's implicit ordering (inside a phase, and between phases as the file's
// "Phase Dependencies" statements and `Depends on:` lines say); docs/tasklist-format.md "GitHub Spec Kit".
import type { DependencyRef, Diagnostic } from '../model';
import { isPlainWork, type EpicDraft, type Ev, type PhaseSelector, type TaskDraft } from './drafts';
import type { AssignedId } from './numbering';

// ---- Spec Kit implicit rules ----------------------------------------------------------------------------------

export function applySpecKitRules(
  epics: readonly EpicDraft[],
  ids: readonly AssignedId[],
  rules: readonly Extract<Ev, { k: 'phaseRule' }>[],
  deps: DependencyRef[][],
  diagnostics: Diagnostic[],
): void {
  const phases = epics.filter((e) => e.phase && e.tasks.some(isPlainWork));
  if (phases.length === 0) return;
  const idOf = (d: TaskDraft) => ids[d.i!].id;
  const addDep = (d: TaskDraft, on: TaskDraft, source: 'implicit' | 'phase', line: number) => {
    const i = d.i!;
    const id = idOf(on);
    if (id === ids[i].id) return;
    const list = deps[i];
    const k = list.findIndex((r) => r.id === id);
    if (k < 0) list.push({ id, source, type: 'blocks', line });
    else if (list[k].type === 'soft') list[k] = { id, source, type: 'blocks', line };
  };

  // Within a phase: a task without [P] waits for the previous task without [P] and every [P] task since; a task
  // with [P] (and the first task) waits for nothing in its phase: it is an entry of the phase.
  const entries = new Map<EpicDraft, TaskDraft[]>();
  const sinks = new Map<EpicDraft, TaskDraft[]>();
  for (const ph of phases) {
    const ent: TaskDraft[] = [];
    let lastSeq: TaskDraft | undefined;
    let sinceSeq: TaskDraft[] = [];
    for (const t of ph.tasks) {
      // Groups, criteria and optional tasks stand outside the order: a group follows its children (parse/groups.ts),
      // and nothing waits on a task the engine never runs by itself.
      if (!isPlainWork(t)) continue;
      if (t.a.meta.parallel) {
        ent.push(t);
        sinceSeq.push(t);
        continue;
      }
      const before = lastSeq ? [lastSeq, ...sinceSeq] : sinceSeq;
      if (before.length === 0) ent.push(t);
      for (const b of before) addDep(t, b, 'implicit', t.line);
      lastSeq = t;
      sinceSeq = [];
    }
    entries.set(ph, ent);
    sinks.set(ph, lastSeq ? [lastSeq, ...sinceSeq] : sinceSeq);
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
        return sel.n === n ? 2 : 0;
      case 'final':
        return ph === last ? 2 : 0;
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
    let preds: EpicDraft[] = k > 0 ? [phases[k - 1]] : [];
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
          message: `Could not tell which earlier phases "${chosen.text.trim()}" refers to; ${ph.info.title} keeps depending on the phase before it`,
        });
      }
    }
    for (const pred of preds) for (const t of entries.get(ph)!) for (const s of sinks.get(pred)!) addDep(t, s, 'phase', line ?? t.line);
  });
}

/** Which earlier phases a sentence like "Depends on Setup completion - BLOCKS all user stories" names; [] = none. */
function resolvePhaseText(text: string, earlier: readonly EpicDraft[], byNumber: ReadonlyMap<number, EpicDraft>): EpicDraft[] | undefined {
  // Only the main clause counts: "… - BLOCKS all user stories" describes dependents, not dependencies.
  const clause = text.split(/[ \t]+[-–—][ \t]+|;|\.(?:[ \t]|$)/)[0];
  if (/\b(?:no dependenc|none\b|can start immediately|independent)/i.test(clause) && !/\bdepends?\b/i.test(clause)) return [];
  const found = new Set<EpicDraft>();
  const allowed = new Set(earlier);
  for (const m of clause.matchAll(/\bPhase[ \t]+(\d+)/gi)) {
    const ph = byNumber.get(Number(m[1]));
    if (ph && allowed.has(ph)) found.add(ph);
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

/** "Phase 2: Foundational (Blocking Prerequisites)" → "Foundational"; "Phase 3: User Story 1 - …" → "User Story 1". */
function phaseKey(ph: EpicDraft): string | undefined {
  const t = ph.info.title.replace(/^phase[ \t]+\d+[ \t]*[:.\-–—]?[ \t]*/i, '');
  const k = t.split(/[ \t]*(?:\(|[-–—:&][ \t]|,)/)[0].trim();
  return k.length >= 3 ? k : undefined;
}
