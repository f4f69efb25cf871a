// The shapes the parser's passes hand each other (src/core/parser.ts runs them in order): task, epic and feature
// drafts, the events of the block pass, and the diagnostics built from what one line says. Pure data.
import type { Diagnostic, Priority } from '../model';
import type { LineProblem, MetaKey, TaskLineAnalysis, IdSpan } from '../taskLine';

export interface TaskDraft {
  /** Drafts are their own events (one object less per task on huge files). */
  k: 'task';
  line: number;
  a: TaskLineAnalysis;
  epic?: EpicDraft;
  feature?: FeatureDraft;
  /** Position in the list of tasks (set when the hierarchy is built). */
  i?: number;
  /** The id written on the line, once the file's numbering is known (see readNumbering). */
  id?: IdSpan;
  /** The title, once the file's numbering is known. */
  title?: string;
  /** The id is a weak id the file numbers its tasks with: a duplicate of it is no error (see assignTaskIds). */
  weak?: boolean;
  /** The task whose list item holds this one. */
  parent?: TaskDraft;
  /** Tasks nested in this one's list item, in document order. */
  children?: TaskDraft[];
  /** A criterion (see TaskNode.criterion): set by the block pass (AC blocks, labels) and the hierarchy pass (headings). */
  criterion?: boolean;
  /** A checkbox that stands for a whole phase (`- [ ] **Phase 2: Sharing**` in a GSD roadmap): a group of its tasks. */
  phaseOf?: EpicDraft;
}

export type Ev =
  | { k: 'heading'; line: number; level: number; text: string }
  | TaskDraft
  /** `**Depends on**: Phase 2` in a phase's own section. */
  | { k: 'phaseSelf'; line: number; text: string }
  /** `- **Polish (Final Phase)**: Depends on …` in a "Phase Dependencies" section. */
  | { k: 'phaseRule'; line: number; sel: PhaseSelector; text: string };

export type PhaseSelector =
  | { kind: 'exact'; n: number }
  | { kind: 'from'; n: number }
  | { kind: 'range'; a: number; b: number }
  /** `(Phase 3, 4, 5)` */
  | { kind: 'list'; ns: number[] }
  /** `User Story 2`, `US2`: the phase titled after that story. */
  | { kind: 'story'; n: number }
  | { kind: 'final' };

export type Frame =
  | { kind: 'task'; draft: TaskDraft }
  | { kind: 'metaList'; key: MetaKey; draft: TaskDraft }
  /** Any other list item; `criteria` when its text is a criteria label (`- **Acceptance criteria:**`); `note` when it is a note under that task. */
  | { kind: 'other'; criteria?: boolean; note?: TaskDraft };

export interface HeadingInfo {
  explicitEpic?: string;
  explicitFeature?: string;
  idColumn: number;
  phaseNo?: number;
  /** `Epic 3: …` → 3; a derived id prefers it. */
  numberHint?: number;
  title: string;
  priority?: Priority;
  problems: LineProblem[];
}

export interface EpicDraft {
  line: number;
  info: HeadingInfo;
  synthetic: boolean;
  features: FeatureDraft[];
  direct?: FeatureDraft;
  tasks: TaskDraft[];
  id: string;
  idExplicit: boolean;
  phase: boolean;
  selfRule?: { line: number; text: string };
}

export interface FeatureDraft {
  line: number;
  info: HeadingInfo;
  epic: EpicDraft;
  synthetic: boolean;
  tasks: TaskDraft[];
  id: string;
  idExplicit: boolean;
}

/** A group: a task with nested tasks that are not criteria (see TaskNode.group). */
export function isGroupDraft(d: TaskDraft): boolean {
  return d.phaseOf !== undefined || (d.children !== undefined && d.children.some((c) => !c.criterion));
}

/** Work the engine runs by itself: not a group, a criterion or an optional task. Only these enter implicit orders. */
export function isPlainWork(d: TaskDraft): boolean {
  return !d.criterion && !d.a.optional && !isGroupDraft(d);
}

/** The warning for a task whose line has an id (or metadata) but no title; shared with the incremental parser. */
export function emptyTitleDiagnostic(taskId: string, line: number, checkboxColumn: number): Diagnostic {
  return { line, column: checkboxColumn, severity: 'warning', code: 'empty-task', message: `Task ${taskId} has no title` };
}

/** A problem found in one line as a diagnostic; shared with the incremental parser. */
export function toDiagnostic(p: LineProblem): Diagnostic {
  const d: Diagnostic = { line: p.line, column: p.column, endLine: p.line, endColumn: p.endColumn, severity: p.severity, code: p.code, message: p.message };
  if (p.data) d.data = p.data;
  return d;
}

/** A diagnostic spanning the id of a dependency reference. */
export function refDiagnostic(
  ref: { line: number; column: number; id: string },
  severity: Diagnostic['severity'],
  code: string,
  message: string,
  data: Record<string, unknown>,
): Diagnostic {
  return { line: ref.line, column: ref.column, endLine: ref.line, endColumn: ref.column + ref.id.length, severity, code, message, data };
}
