// Markdown task list → TaskList. Pure core: no fs, no vscode, no database.
//
// How it reads a file (the format itself is documented in docs/tasklist-format.md):
//  1. Split into lines exactly as the writer does (textLines.ts), blank a YAML front-matter block.
//  2. Run markdown-it's BLOCK parser (inline parsing disabled: it is not needed and costs most of the time) and walk
//     its tokens with their source maps. markdown-it decides what is a list item, a heading, a code block, an HTML
//     block, a blockquote or a table, so a checkbox inside a fence, a comment, a quote or a table is never a task.
//     Large files are parsed in chunks cut at top-level block boundaries (see parseBlocks), so memory stays bounded
//     and time linear even at 50 MB.
//  3. A list item whose first paragraph starts with `[ ]`, `[x]`, `[X]`, `[/]` or `[-]` is a task; its line is read by
//     taskLine.ts. Its direct sub-bullets and its paragraph's continuation lines carry metadata (`Depends on:` …).
//  4. Headings become epics and features (levels chosen per file), ids are derived or allocated, dependency ids are
//     resolved, and Spec Kit's implicit rules add `implicit` and `phase` edges.
// One file per pass, run in this order by `parse` below: parse/blocks.ts (1–3), parse/hierarchy.ts, parse/numbering.ts,
// parse/dependencies.ts, parse/phases.ts; parse/drafts.ts holds the shapes they hand each other.
// parseTaskList never throws: bad input becomes diagnostics, and the text itself is never modified here.
import { errorMessage } from './describe';
import { isCheckpointTitle } from './taskLine';
import type { Diagnostic, TaskList, TaskNode } from './model';
import { frontMatterEnd, parseBlocks, type WalkState } from './parse/blocks';
import { CriteriaNames } from './parse/criteria';
import { resolveDependencies } from './parse/dependencies';
import { emptyTitleDiagnostic, isGroupDraft, toDiagnostic, type TaskDraft } from './parse/drafts';
import { applyGroupRules, markPhaseSummaries } from './parse/groups';
import { assignGroupIds, buildHierarchy } from './parse/hierarchy';
import { assignTaskIds, detectDialect, readNumbering, type AssignedId } from './parse/numbering';
import { applySpecKitRules } from './parse/phases';
import { dominantEol, splitLines } from './textLines';

/** How to read a file beyond what it says itself. */
export interface ParseOptions {
  /**
   * Headings (and bold labels) whose checkboxes are criteria, matched as words in the heading, case and punctuation
   * ignored. Default: DEFAULT_CRITERIA_HEADINGS (Acceptance Criteria, Success Criteria, Definition of Done, …).
   */
  criteriaHeadings?: readonly string[];
}

/** Parses a markdown task list. Never throws; every problem is a diagnostic. */
export function parseTaskList(text: string, opts: ParseOptions = {}): TaskList {
  try {
    return parse(text, opts);
  } catch (e) {
    // A bug must not take the editor or the engine down with it; report it where the user will see it.
    return {
      dialect: 'markdown',
      eol: '\n',
      epics: [],
      features: [],
      tasks: [],
      diagnostics: [
        {
          line: 0,
          column: 0,
          severity: 'error',
          code: 'internal-error',
          message: `The task-list parser failed (${errorMessage(e)}); nothing was read from this file`,
        },
      ],
    };
  }
}

function parse(text: string, opts: ParseOptions): TaskList {
  const { lines, ends } = splitLines(text);
  const diagnostics: Diagnostic[] = [];
  const criteria = new CriteriaNames(opts.criteriaHeadings);
  const st: WalkState = { lines, events: [], diagnostics, lastHeading: '', criteria, acBlock: false, criteriaLabel: false };

  const fm = frontMatterEnd(lines);
  const mdLines = fm > 0 ? lines.map((l, i) => (i < fm ? '' : l)) : lines;
  parseBlocks(st, mdLines);

  const { epics, tasks, rules } = buildHierarchy(st.events, lines, diagnostics, criteria);
  st.events = []; // the drafts live on in `tasks`, which lets each go once its node is built (below)
  const numbering = readNumbering(tasks);
  const { epicNodes, featureNodes } = assignGroupIds(epics, diagnostics);
  const dialect = detectDialect(tasks, epics, numbering);
  const taskIds = assignTaskIds(tasks, dialect, epicNodes, diagnostics);
  markPhaseSummaries(tasks, epics);
  const deps = resolveDependencies(tasks, taskIds, epics, diagnostics);
  applySpecKitRules(epics, taskIds, rules, deps, diagnostics, dialect);
  applyGroupRules(tasks, taskIds, deps);

  // A 50 MB plan holds 700,000 drafts: each is released as its node is built, so drafts and nodes are never both
  // whole in memory. Only `tasks`, `taskIds` and `deps` hold drafts now (and a draft its parent and children).
  for (const e of epics) {
    e.tasks = [];
    e.direct = undefined;
    for (const f of e.features) f.tasks = [];
    e.features = [];
  }
  const drafts = tasks as (TaskDraft | undefined)[];
  const ids = taskIds as (AssignedId | undefined)[];
  const edges = deps as (TaskNode['dependsOn'] | undefined)[];
  const taskNodes: TaskNode[] = [];
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    const { id, idExplicit } = ids[i]!;
    const dependsOn = edges[i]!;
    drafts[i] = ids[i] = edges[i] = undefined;
    const { a } = d;
    const m = a.meta;
    for (const p of m.problems) diagnostics.push(toDiagnostic(p));
    if (d.title === '') diagnostics.push(emptyTitleDiagnostic(id, d.line, a.checkboxColumn));
    const node: TaskNode = {
      id,
      idExplicit,
      epicId: d.epic!.id,
      featureId: d.feature!.id,
      title: d.title!,
      status: a.status,
      line: d.line,
      // Arrays grown by push keep spare capacity (17 slots for one element); a plan keeps 10,000 of each alive.
      dependsOn: exact(dependsOn),
      blockers: exact(m.blockers),
      parallel: m.parallel,
      tags: exact(m.tags),
    };
    if (m.priority !== undefined) node.priority = m.priority;
    if (m.estimateHours !== undefined) node.estimateHours = m.estimateHours;
    if (m.agent !== undefined) node.agent = m.agent;
    if (m.verify !== undefined) node.verify = m.verify;
    if (m.timeoutMinutes !== undefined) node.timeoutMinutes = m.timeoutMinutes;
    const gate = m.gate ?? (isCheckpointTitle(node.title) ? 'checkpoint' : undefined);
    if (gate !== undefined && !isGroupDraft(d) && !d.criterion) node.gate = gate;
    if (m.isolation !== undefined) node.isolation = m.isolation;
    if (d.parent) node.parent = taskNodes[d.parent.i!].id; // a parent comes before its children
    if (isGroupDraft(d)) node.group = true;
    if (a.optional) node.optional = true;
    if (d.criterion) node.criterion = true;
    taskNodes.push(node);
  }

  diagnostics.sort((x, y) => x.line - y.line || x.column - y.column);
  const list: TaskList = { dialect, eol: dominantEol(ends), epics: epicNodes, features: featureNodes, tasks: taskNodes, diagnostics };
  if (numbering.size > 0) list.numbering = [...numbering];
  return list;
}

/** The array with no spare capacity (slice copies exactly); an empty array already has none. */
function exact<T>(a: T[]): T[] {
  return a.length === 0 ? a : a.slice();
}
