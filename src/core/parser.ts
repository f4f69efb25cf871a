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
// parse/dependencies.ts, parse/phases.ts, parse/groups.ts, parse/gates.ts; parse/drafts.ts holds the shapes they hand each other.
// parseTaskList never throws: bad input becomes diagnostics, and the text itself is never modified here.
import { errorMessage } from './describe';
import { isCheckpointTitle } from './taskLine';
import type { Diagnostic, TaskList, TaskNode } from './model';
import { frontMatterEnd, parseBlocks, type WalkState } from './parse/blocks';
import { CriteriaNames } from './parse/criteria';
import { resolveDependencies } from './parse/dependencies';
import { Drafts, emptyTitleDiagnostic, RefTable, toDiagnostic } from './parse/drafts';
import { applyFeatureGates } from './parse/gates';
import { applyGroupRules, markPhaseSummaries } from './parse/groups';
import { assignGroupIds, buildHierarchy } from './parse/hierarchy';
import { assignTaskIds, detectDialect, IdIndex, readNumbering } from './parse/numbering';
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
  const drafts = new Drafts();
  const st: WalkState = { lines, events: [], drafts, refs: new RefTable(), diagnostics, lastHeading: '', criteria, acBlock: false, criteriaLabel: false };

  parseBlocks(st, frontMatterEnd(lines));

  const { epics, rules } = buildHierarchy(st.events, lines, diagnostics, criteria, drafts);
  st.events = []; // 700,000 task numbers on a 50 MB plan; the tasks are 0 … drafts.count - 1 from here on
  const numbering = readNumbering(drafts);
  const { epicNodes, featureNodes } = assignGroupIds(epics, diagnostics);
  const dialect = detectDialect(drafts, epics, numbering);
  const assigned = assignTaskIds(drafts, dialect, epicNodes, epics, diagnostics, lines);
  const taskIds = assigned.ids;
  markPhaseSummaries(drafts, epics);
  const deps = resolveDependencies(drafts, taskIds, epics, diagnostics, assigned.byId, st.refs);
  // Resolved: the written references and the map of ids (700,000 of each on a 50 MB plan) are not read again.
  st.refs = new RefTable();
  assigned.byId = new IdIndex([], 0);
  const resolvedLength = Uint32Array.from(deps, (x) => x.length);
  applySpecKitRules(drafts, epics, taskIds, rules, deps, diagnostics, dialect);
  applyGroupRules(drafts, taskIds, deps);
  applyFeatureGates(drafts, epics, taskIds, deps);

  const taskNodes = taskIds as TaskNode[]; // assignTaskIds hands back the drafts' nodes, in order
  for (let d = 0; d < drafts.count; d++) {
    const node = taskNodes[d];
    // Arrays grown by push keep spare capacity (17 slots for one element); only the rule passes grow them now.
    const dependsOn = deps[d];
    node.dependsOn = dependsOn.length > resolvedLength[d] ? dependsOn.slice() : dependsOn;
    const r = drafts.rare(d);
    if (r?.problems) for (const p of r.problems) diagnostics.push(toDiagnostic(p));
    if (node.title === '') diagnostics.push(emptyTitleDiagnostic(node.id, node.line, r!.checkboxColumn!));
    const gate = r?.gate ?? (isCheckpointTitle(node.title) ? 'checkpoint' : undefined);
    const group = drafts.isGroup(d);
    if (gate !== undefined && !group && !drafts.criterion(d)) node.gate = gate;
    if (r?.isolation !== undefined) node.isolation = r.isolation;
    if (r?.files !== undefined) node.files = r.files;
    const parent = drafts.parent(d);
    if (parent >= 0) node.parent = taskNodes[parent].id;
    if (group) node.group = true;
    if (drafts.optional(d)) node.optional = true;
    if (drafts.criterion(d)) node.criterion = true;
  }

  diagnostics.sort((x, y) => x.line - y.line || x.column - y.column);
  const list: TaskList = { dialect, eol: lines.eol, epics: epicNodes, features: featureNodes, tasks: taskNodes, diagnostics };
  if (numbering.size > 0) list.numbering = [...numbering];
  return list;
}
