// Markdown task list → TaskList. Pure core: no fs, no vscode, no database.
//
// How it reads a file (the format itself is documented in docs/tasklist-format.md):
//  1. Index the lines exactly as the writer splits them (textLines.ts, LineIndex), hide a YAML front-matter block.
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
import { emptyTitleDiagnostic, isGroupDraft, RefTable, toDiagnostic, type TaskDraft } from './parse/drafts';
import { applyGroupRules, markPhaseSummaries } from './parse/groups';
import { assignGroupIds, buildHierarchy } from './parse/hierarchy';
import { assignTaskIds, detectDialect, readNumbering } from './parse/numbering';
import { applySpecKitRules } from './parse/phases';
import { LineIndex } from './textLines';

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
  const lines = new LineIndex(text);
  const diagnostics: Diagnostic[] = [];
  const criteria = new CriteriaNames(opts.criteriaHeadings);
  const st: WalkState = { lines, events: [], refs: new RefTable(), diagnostics, lastHeading: '', criteria, acBlock: false, criteriaLabel: false };

  parseBlocks(st, frontMatterEnd(lines));

  const { epics, tasks, rules } = buildHierarchy(st.events, lines, diagnostics, criteria);
  st.events = []; // the drafts live on in `tasks`, which lets each go once its node is built (below)
  const numbering = readNumbering(tasks);
  const { epicNodes, featureNodes } = assignGroupIds(epics, diagnostics);
  const dialect = detectDialect(tasks, epics, numbering);
  const assigned = assignTaskIds(tasks, dialect, epicNodes, diagnostics, lines);
  const taskIds = assigned.ids;
  markPhaseSummaries(tasks, epics);
  const deps = resolveDependencies(tasks, taskIds, epics, diagnostics, assigned.byId, st.refs);
  // Resolved: the written references and the map of ids (700,000 of each on a 50 MB plan) are not read again.
  st.refs = new RefTable();
  assigned.byId = new Map();
  const resolvedLength = Uint32Array.from(deps, (x) => x.length);
  applySpecKitRules(epics, taskIds, rules, deps, diagnostics, dialect);
  applyGroupRules(tasks, taskIds, deps);

  // A 50 MB plan holds 700,000 drafts: each is released as its node is completed, and nothing else holds them now.
  for (const e of epics) {
    e.tasks = [];
    e.direct = undefined;
    for (const f of e.features) f.tasks = [];
    e.features = [];
  }
  const drafts = tasks as (TaskDraft | undefined)[];
  const edges = deps as (TaskNode['dependsOn'] | undefined)[];
  const taskNodes = taskIds as TaskNode[]; // assignTaskIds hands back the drafts' nodes, in order
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    const node = d.node!;
    drafts[i] = undefined;
    // Arrays grown by push keep spare capacity (17 slots for one element); only the rule passes grow them now.
    const dependsOn = edges[i]!;
    edges[i] = undefined;
    node.dependsOn = dependsOn.length > resolvedLength[i] ? dependsOn.slice() : dependsOn;
    const r = d.rare;
    if (r?.problems) for (const p of r.problems) diagnostics.push(toDiagnostic(p));
    if (node.title === '') diagnostics.push(emptyTitleDiagnostic(node.id, d.line, r!.checkboxColumn!));
    const gate = r?.gate ?? (isCheckpointTitle(node.title) ? 'checkpoint' : undefined);
    if (gate !== undefined && !isGroupDraft(d) && !d.criterion) node.gate = gate;
    if (r?.isolation !== undefined) node.isolation = r.isolation;
    if (d.parent) node.parent = d.parent.node!.id;
    if (isGroupDraft(d)) node.group = true;
    if (d.optional) node.optional = true;
    if (d.criterion) node.criterion = true;
  }

  diagnostics.sort((x, y) => x.line - y.line || x.column - y.column);
  const list: TaskList = { dialect, eol: lines.eol, epics: epicNodes, features: featureNodes, tasks: taskNodes, diagnostics };
  if (numbering.size > 0) list.numbering = [...numbering];
  return list;
}
