// Pass 2 of the parser: hierarchy. Headings become epics and features (which heading level is which is decided per
// file, docs/tasklist-format.md "Hierarchy"), tasks join their epic and feature, and epics and features without a
// written id get a derived one that never takes an id written anywhere in the file.
import type { Diagnostic, EpicNode, FeatureNode, Priority } from '../model';
import { parsePriority, type LineProblem } from '../taskLine';
import type { LineIndex } from '../textLines';
import type { CriteriaNames } from './criteria';
import { extendRange, toDiagnostic, type Drafts, type EpicDraft, type Ev, type FeatureDraft, type HeadingInfo } from './drafts';

function analyzeHeading(text: string, line: number, raw: string): HeadingInfo {
  const problems: LineProblem[] = [];
  let t = text.trim();
  let explicitEpic: string | undefined;
  let explicitFeature: string | undefined;
  let phaseNo: number | undefined;
  let numberHint: number | undefined;
  let m: RegExpExecArray | null;
  const idColumn = Math.max(0, raw.indexOf(t.slice(0, 12)));
  if ((m = /^(?:[Ee]pic[ \t]+)?(?:\*\*|__|`)?(E\d+(?:\.\d+)*)(?:\*\*|__|`)?(?=[\s:.\-–—]|$)[ \t]*[:.\-–—]?[ \t]*/.exec(t))) {
    explicitEpic = m[1];
    t = t.slice(m[0].length);
  } else if ((m = /^(?:[Ff]eature[ \t]+)?(?:\*\*|__|`)?(F\d+(?:\.\d+)*)(?:\*\*|__|`)?(?=[\s:.\-–—]|$)[ \t]*[:.\-–—]?[ \t]*/.exec(t))) {
    explicitFeature = m[1];
    t = t.slice(m[0].length);
  } else if ((m = /^phase[ \t]+(\d+)\b/i.exec(t))) {
    phaseNo = Number(m[1]);
  } else if ((m = /^(?:epic|milestone|feature|story)[ \t]+(\d+)\b/i.exec(t))) {
    numberHint = Number(m[1]);
  }
  let priority: Priority | undefined;
  const prio = /[ \t]*(?:\((?:priority|prio)[ \t]*[:=]?[ \t]*([\w-]+)\)|\[(P\d)\]|\((P\d)\))/i.exec(t);
  if (prio) {
    const value = prio[1] ?? prio[2] ?? prio[3];
    priority = parsePriority(value);
    if (!priority) {
      const col = Math.max(0, raw.indexOf(prio[0].trim()));
      problems.push({
        line,
        column: col,
        endColumn: col + prio[0].trim().length,
        severity: 'warning',
        code: 'bad-priority',
        message: `Unknown priority "${value}"; expected P0, P1, P2 or P3`,
      });
    }
    t = t.slice(0, prio.index) + t.slice(prio.index + prio[0].length);
  }
  return { explicitEpic, explicitFeature, idColumn, phaseNo, numberHint, title: t.replace(/\s+/g, ' ').trim(), priority, problems };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

interface HeadingEv {
  ev: Extract<Ev, { k: 'heading' }>;
  info: HeadingInfo;
  taskCount: number;
}

export function buildHierarchy(
  events: readonly Ev[],
  lines: LineIndex,
  diagnostics: Diagnostic[],
  criteria: CriteriaNames,
  drafts: Drafts,
): { epics: EpicDraft[]; rules: Extract<Ev, { k: 'phaseRule' }>[] } {
  // Count the tasks in each heading's section (subsections included) to tell structure from prose headings.
  const headings: HeadingEv[] = [];
  const open: HeadingEv[] = [];
  let counted = 0;
  // The tasks before task `upTo` not counted yet are in the section of every heading open now.
  const count = (upTo: number) => {
    for (let k = 0; k < open.length; k++) open[k].taskCount += upTo - counted;
    counted = upTo;
  };
  for (const ev of events) {
    count(ev.before);
    if (ev.k === 'heading') {
      while (open.length && open[open.length - 1].ev.level >= ev.level) open.pop();
      const h: HeadingEv = { ev, info: analyzeHeading(ev.text, ev.line, lines.line(ev.line)), taskCount: 0 };
      headings.push(h);
      open.push(h);
    }
  }
  count(drafts.count);
  const levelOnes = headings.filter((h) => h.ev.level === 1);
  const title = levelOnes.length === 1 && headings[0] === levelOnes[0] && !levelOnes[0].info.explicitEpic ? headings[0] : undefined;
  const rest = headings.filter((h) => h !== title);
  const minLevel = (hs: readonly HeadingEv[]) => (hs.length ? Math.min(...hs.map((h) => h.ev.level)) : undefined);
  const fLevel = minLevel(rest.filter((h) => h.info.explicitFeature));
  let epicLevel = minLevel(rest.filter((h) => h.info.explicitEpic)) ?? minLevel(rest.filter((h) => h.info.phaseNo !== undefined));
  if (epicLevel === undefined) {
    epicLevel = minLevel(rest.filter((h) => h.taskCount > 0 && (fLevel === undefined || h.ev.level < fLevel)));
    if (epicLevel === undefined && fLevel !== undefined) epicLevel = fLevel - 1;
  }
  const deeperF = epicLevel === undefined ? undefined : minLevel(rest.filter((h) => h.info.explicitFeature && h.ev.level > epicLevel!));
  const featureLevel = epicLevel === undefined ? undefined : (deeperF ?? epicLevel + 1);

  const epics: EpicDraft[] = [];
  const rules: Extract<Ev, { k: 'phaseRule' }>[] = [];
  let defaultEpic: EpicDraft | undefined;
  let curEpic: EpicDraft | undefined;
  let curFeature: FeatureDraft | undefined;
  const headingInfo = new Map(headings.map((h) => [h.ev, h]));
  // The open headings, and how many of them are criteria headings: every task in such a section is a criterion.
  const openLevels: { level: number; criteria: boolean }[] = [];
  let inCriteria = 0;
  const newEpic = (line: number, info: HeadingInfo, synthetic: boolean): EpicDraft => ({
    line,
    info,
    synthetic,
    features: [],
    tasks: { from: 0, to: 0 },
    id: '',
    idExplicit: false,
    phase: info.phaseNo !== undefined,
  });
  const ensureEpic = (atLine: number): EpicDraft => {
    if (curEpic) return curEpic;
    if (!defaultEpic) {
      // Tasks before any epic heading: one epic named after the document title (or "Tasks").
      const line = title ? title.ev.line : atLine;
      defaultEpic = newEpic(line, { idColumn: 0, title: title ? title.info.title : 'Tasks', problems: [] }, true);
      epics.unshift(defaultEpic);
    }
    return (curEpic = defaultEpic);
  };
  let placed = 0;
  // Tasks join the epic and feature open at their place in the document.
  const place = (upTo: number) => {
    for (; placed < upTo; placed++) {
      const d = placed;
      if (inCriteria > 0) drafts.setCriterion(d);
      const epic = ensureEpic(drafts.line(d));
      let feature = curFeature;
      if (!feature) {
        if (!epic.direct)
          epic.direct = {
            line: epic.line,
            info: { idColumn: 0, title: epic.info.title, problems: [] },
            epic,
            synthetic: true,
            tasks: { from: 0, to: 0 },
            id: '',
            idExplicit: false,
          };
        feature = epic.direct;
      }
      extendRange(epic.tasks, d);
      extendRange(feature.tasks, d);
    }
  };
  for (const ev of events) {
    place(ev.before);
    if (ev.k === 'heading') {
      while (openLevels.length && openLevels[openLevels.length - 1].level >= ev.level) if (openLevels.pop()!.criteria) inCriteria--;
      const isCriteria = criteria.heading(ev.text);
      openLevels.push({ level: ev.level, criteria: isCriteria });
      if (isCriteria) inCriteria++;
      const h = headingInfo.get(ev)!;
      if (h === title || epicLevel === undefined) continue;
      if (ev.level <= epicLevel) {
        curEpic = newEpic(ev.line, h.info, false);
        epics.push(curEpic);
        curFeature = undefined;
      } else if (ev.level === featureLevel) {
        const epic = ensureEpic(ev.line);
        curFeature = { line: ev.line, info: h.info, epic, synthetic: false, tasks: { from: 0, to: 0 }, id: '', idExplicit: false };
        epic.features.push(curFeature);
      }
    } else if (ev.k === 'gate') {
      for (const p of ev.problems) diagnostics.push(toDiagnostic(p));
      if (curFeature && ev.gate) curFeature.gate = ev.gate;
      else if (ev.gate)
        diagnostics.push({
          line: ev.line,
          column: ev.column,
          severity: 'warning',
          code: 'bad-gate',
          message: 'This "Gate: review" is under no feature heading, so it gates nothing: write it under a task, or under a feature\'s heading',
        });
    } else if (ev.k === 'phaseSelf') {
      if (curEpic?.phase && !curEpic.selfRule) curEpic.selfRule = { line: ev.line, text: ev.text };
    } else {
      rules.push(ev);
    }
  }
  place(drafts.count);
  // Headings with neither an id nor tasks are prose ("## Notes"), not structure.
  const kept = epics.filter((e) => {
    e.features = e.features.filter((f) => f.info.explicitFeature !== undefined || f.tasks.to > f.tasks.from);
    return e.info.explicitEpic !== undefined || e.tasks.to > e.tasks.from || e.features.length > 0;
  });
  for (const e of kept) for (const p of e.info.problems) diagnostics.push(toDiagnostic(p));
  for (const e of kept) for (const f of e.features) for (const p of f.info.problems) diagnostics.push(toDiagnostic(p));
  return { epics: kept, rules };
}

export function assignGroupIds(epics: EpicDraft[], diagnostics: Diagnostic[]): { epicNodes: EpicNode[]; featureNodes: FeatureNode[] } {
  const takenE = new Set<string>();
  const takenF = new Set<string>();
  const firstE = new Map<string, number>();
  const firstF = new Map<string, number>();
  const dupCheck = (id: string | undefined, first: Map<string, number>, line: number, col: number, kind: string): boolean => {
    if (id === undefined) return false;
    const prev = first.get(id);
    if (prev === undefined) {
      first.set(id, line);
      return true;
    }
    diagnostics.push({
      line,
      column: col,
      endLine: line,
      endColumn: col + id.length,
      severity: 'error',
      code: 'duplicate-id',
      message: `${kind} id ${id} is already used on line ${prev + 1}; this ${kind.toLowerCase()} gets a derived id instead`,
      data: { id, firstLine: prev },
    });
    return false;
  };
  // Written ids first, so a derived id never takes one that is written further down.
  for (const e of epics) {
    if (dupCheck(e.info.explicitEpic, firstE, e.line, e.info.idColumn, 'Epic')) {
      e.id = e.info.explicitEpic!;
      e.idExplicit = true;
      takenE.add(e.id);
    }
    for (const f of e.features) {
      if (dupCheck(f.info.explicitFeature, firstF, f.line, f.info.idColumn, 'Feature')) {
        f.id = f.info.explicitFeature!;
        f.idExplicit = true;
        takenF.add(f.id);
      }
    }
  }
  // Then the numbers headings carry (`Phase 3` → E003, `Epic 2` → E002), so a section before the phases (a
  // "Before you start" checklist) does not shift every phase's id: it takes a free number instead.
  for (const e of epics) {
    if (e.idExplicit) continue;
    const hint = e.info.phaseNo ?? e.info.numberHint;
    if (hint === undefined || takenE.has(`E${pad(hint, 3)}`)) continue;
    e.id = `E${pad(hint, 3)}`;
    takenE.add(e.id);
  }
  let prevNum = 0;
  for (const e of epics) {
    if (e.idExplicit || e.id !== '') {
      const m = /(\d+)/.exec(e.id);
      if (m) prevNum = Number(m[1]);
      continue;
    }
    let n = e.info.phaseNo ?? e.info.numberHint ?? prevNum + 1;
    while (takenE.has(`E${pad(n, 3)}`)) n++;
    e.id = `E${pad(n, 3)}`;
    takenE.add(e.id);
    prevNum = n;
  }
  const epicNodes: EpicNode[] = [];
  const featureNodes: FeatureNode[] = [];
  for (const e of epics) {
    const node: EpicNode = { id: e.id, idExplicit: e.idExplicit, title: e.info.title, line: e.line };
    if (e.info.priority) node.priority = e.info.priority;
    if (e.phase) node.phase = true;
    epicNodes.push(node);
    const digits = /(\d+)/.exec(e.id)?.[1] ?? pad(epicNodes.length, 3);
    if (e.direct) {
      // Tasks written directly under an epic belong to a synthetic feature `<epicId>.00` (see model.ts).
      e.direct.id = `${e.id}.00`;
      featureNodes.push({ id: e.direct.id, idExplicit: false, epicId: e.id, title: e.info.title, line: e.line });
    }
    let prevK = 0;
    for (const f of e.features) {
      if (!f.idExplicit) {
        let k = f.info.numberHint ?? prevK + 1;
        while (takenF.has(`F${digits}.${pad(k, 2)}`)) k++;
        f.id = `F${digits}.${pad(k, 2)}`;
        takenF.add(f.id);
        prevK = k;
      } else {
        const m = /(\d+)$/.exec(f.id);
        if (m) prevK = Number(m[1]);
      }
      const node: FeatureNode = { id: f.id, idExplicit: f.idExplicit, epicId: e.id, title: f.info.title, line: f.line };
      if (f.info.priority) node.priority = f.info.priority;
      if (f.gate) node.gate = f.gate;
      featureNodes.push(node);
    }
  }
  return { epicNodes, featureNodes };
}
