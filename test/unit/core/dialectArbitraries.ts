// Random task lists, one generator per dialect people actually write (issue #8): this project's own plan format,
// GitHub Spec Kit tasks.md, Kiro .kiro/specs/*/tasks.md, a CCPM epic, a Backlog.md task, GFM README/TODO/roadmap
// checklists, a GSD .planning/ROADMAP.md, and long flat lists. Each renders with the odd corners of the real format
// (optional tasks, lettered ids, AC blocks, criteria sections, nested checkboxes, blocked markers, front matter,
// code fences, CRLF …). Written from the formats' documentation, in our own words.
import fc from 'fast-check';

export type DialectName = 'coditect' | 'speckit' | 'kiro' | 'ccpm' | 'backlog' | 'gfm' | 'gsd' | 'longlist';

export const DIALECTS: readonly DialectName[] = ['coditect', 'speckit', 'kiro', 'ccpm', 'backlog', 'gfm', 'gsd', 'longlist'];

const WORDS = [
  'deploy',
  'the',
  'message',
  'bus',
  'café',
  'über',
  'API',
  'queue',
  'retry',
  'cache',
  'tenant',
  'schema',
  'webhook',
  'login',
  'export',
  'naïve',
  'v2',
  'RabbitMQ',
  '日本語',
  'docs',
  'migrate',
  'audit',
];
const word = fc.constantFrom(...WORDS);
/** A short title, never empty, never starting with something that reads as an id or metadata. */
export const title = fc.array(word, { minLength: 1, maxLength: 5 }).map((w) => `${w[0][0].toUpperCase()}${w[0].slice(1)} ${w.slice(1).join(' ')}`.trim());

/** A checkbox mark as people type them (space, x, X, and other tools' / and -). */
const mark = fc.constantFrom(' ', ' ', ' ', 'x', 'x', 'X', '/', '-');
const eol = fc.constantFrom('\n', '\n', '\r\n');

/** Lines joined with one line ending (a file is mostly one style), optionally without a final one. */
function render(lines: string[], end: string, finalEol: boolean): string {
  return lines.join(end) + (finalEol ? end : '');
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

// ---- this project's dialect ------------------------------------------------------------------------------------

const coditect = fc
  .tuple(
    fc.array(
      fc.array(
        fc.array(
          fc.record({
            mark,
            withId: fc.boolean(),
            title,
            meta: fc.constantFrom('', ' (P0, 16h)', ' (P1, 4h)', ' [P2]', ' ~2d'),
            sub: fc.constantFrom('', '  - Agent: devops-engineer', '  - Blocked by: "Infra team"', '  - a note about it', '  - Verify: `true`'),
            dep: fc.boolean(),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        { minLength: 1, maxLength: 3 },
      ),
      { minLength: 1, maxLength: 3 },
    ),
    eol,
    fc.boolean(),
  )
  .map(([epics, end, finalEol]) => {
    const lines = ['# Platform — Project Task List', '', 'Prose with a table:', '', '| a | b |', '|---|---|', '| - [ ] not a task | x |', ''];
    const written: string[] = [];
    epics.forEach((features, e) => {
      lines.push(`## E${pad(e + 1, 3)}: Epic ${e + 1}`, '');
      features.forEach((tasks, f) => {
        lines.push(`### F${pad(e + 1, 3)}.${pad(f + 1, 2)}: Feature ${f + 1}`, '');
        tasks.forEach((t, k) => {
          const id = `T${pad(e + 1, 3)}.${pad(f * 10 + k + 1, 3)}`;
          const dep = t.dep && written.length > 0 ? ` after ${written[written.length - 1]}` : '';
          lines.push(`- [${t.mark}] ${t.withId ? `**${id}** ` : ''}${t.title}${dep}${t.meta}`);
          if (t.sub) lines.push(t.sub);
          if (t.withId) written.push(id);
        });
        lines.push('');
      });
    });
    lines.push('## Notes', '', '```', '- [ ] T999.999 in a code block', '```');
    return render(lines, end, finalEol);
  });

// ---- GitHub Spec Kit tasks.md ----------------------------------------------------------------------------------

const speckit = fc
  .tuple(
    fc.array(
      fc.record({
        name: fc.constantFrom('Setup', 'Foundational', 'User Story', 'Polish'),
        priority: fc.constantFrom('', ' (Priority: P1)', ' (Priority: P2)'),
        tasks: fc.array(
          fc.record({
            mark: fc.constantFrom(' ', ' ', 'x', 'X'),
            par: fc.boolean(),
            story: fc.boolean(),
            title,
            lettered: fc.constantFrom('', '', '', 'a', 'A'),
          }),
          { minLength: 1, maxLength: 5 },
        ),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    fc.boolean(),
    eol,
  )
  .map(([phases, depSection, end]) => {
    const lines = ['---', 'description: "Task list for a feature"', '---', '', '# Tasks: Feature', '', '## Format: `[ID] [P?] [Story] Description`', ''];
    lines.push('- **[P]**: Can run in parallel', '- **[Story]**: Which user story', '');
    let n = 0;
    phases.forEach((ph, i) => {
      const story = ph.name === 'User Story' ? ` ${i + 1} - Do the thing` : '';
      lines.push(`## Phase ${i + 1}: ${ph.name}${story}${ph.priority}`, '', '**Purpose**: why', '');
      for (const t of ph.tasks) {
        // A lettered id is a task inserted after the numbering was made: it follows the number it extends.
        const id = t.lettered && n > 0 ? `T${pad(n, 3)}${t.lettered}` : `T${pad(++n, 3)}`;
        lines.push(`- [${t.mark}] ${id}${t.par ? ' [P]' : ''}${t.story ? ` [US${i + 1}]` : ''} ${t.title} in src/${t.title.split(' ')[0].toLowerCase()}.ts`);
      }
      lines.push('', '**Checkpoint**: phase done', '', '---', '');
    });
    if (depSection) {
      lines.push('## Dependencies & Execution Order', '', '### Phase Dependencies', '');
      lines.push(
        '- **Setup (Phase 1)**: No dependencies - can start immediately',
        '- **Foundational (Phase 2)**: Depends on Setup completion - BLOCKS all user stories',
      );
      lines.push(
        '',
        '### User Story Dependencies',
        '',
        '- **User Story 1 (P1)**: Can start after Foundational (Phase 2) - No dependencies on other stories',
        '',
      );
    }
    return render(lines, end, true);
  });

// ---- Kiro .kiro/specs/<name>/tasks.md --------------------------------------------------------------------------

const kiro = fc
  .tuple(
    fc.array(
      fc.record({
        mark: fc.constantFrom(' ', 'x'),
        title,
        subs: fc.array(fc.record({ mark: fc.constantFrom(' ', ' ', 'x'), optional: fc.boolean(), title }), { maxLength: 3 }),
        details: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    fc.boolean(),
    eol,
  )
  .map(([tasks, topOptional, end]) => {
    const lines = ['# Implementation Plan', ''];
    tasks.forEach((t, i) => {
      const n = i + 1;
      const star = topOptional && i === tasks.length - 1 && t.subs.length === 0 ? '*' : '';
      lines.push(`- [${t.mark}]${star} ${n}. ${t.title}`);
      if (t.details) lines.push(`  - Create the ${t.title.toLowerCase()} module`, `  - _Requirements: ${n}.1, ${n}.2_`);
      t.subs.forEach((s, k) => {
        lines.push(
          `  - [${s.mark}]${s.optional ? '*' : ''} ${n}.${k + 1} ${s.title}`,
          `    - Write the code for ${s.title.toLowerCase()}`,
          `    - _Requirements: ${n}.${k + 1}_`,
        );
      });
      lines.push('');
    });
    return render(lines, end, true);
  });

// ---- CCPM epic.md ----------------------------------------------------------------------------------------------

const ccpm = fc
  .tuple(
    fc.array(
      fc.record({ mark: fc.constantFrom(' ', ' ', 'x'), form: fc.constantFrom('hash', 'file'), parallel: fc.constantFrom('true', 'false', ''), title }),
      {
        minLength: 1,
        maxLength: 8,
      },
    ),
    fc.array(fc.record({ mark: fc.constantFrom(' ', 'x'), title }), { maxLength: 3 }),
    fc.boolean(),
    eol,
  )
  .map(([tasks, criteria, phases, end]) => {
    const lines = ['---', 'name: payments', 'status: backlog', 'created: 2026-01-01T00:00:00Z', 'progress: 0%', '---', '', '# Epic: payments', ''];
    lines.push('## Overview', '', 'What this epic delivers.', '', '## Task Breakdown Preview', '', '- Backend: the API', '- Frontend: the pages', '');
    if (phases) lines.push('## Phase 1: Foundation', '');
    lines.push('## Tasks Created', '');
    tasks.forEach((t, i) => {
      const id = t.form === 'hash' ? `#${120 + i}` : `${pad(i + 1, 3)}.md`;
      const par = t.parallel ? ` (parallel: ${t.parallel})` : '';
      lines.push(`- [${t.mark}] ${id} - ${t.title}${par}`);
    });
    lines.push('', `Total tasks: ${tasks.length}`, '');
    if (criteria.length) {
      lines.push('## Success Criteria (Technical)', '');
      for (const c of criteria) lines.push(`- [${c.mark}] ${c.title} works end to end`);
      lines.push('');
    }
    return render(lines, end, true);
  });

// ---- Backlog.md task file --------------------------------------------------------------------------------------

const backlog = fc
  .tuple(
    fc.array(fc.record({ mark: fc.constantFrom(' ', 'x'), title }), { minLength: 1, maxLength: 5 }),
    fc.array(fc.record({ mark: fc.constantFrom(' ', 'x'), title }), { maxLength: 3 }),
    eol,
  )
  .map(([ac, dod, end]) => {
    const lines = ['---', 'id: task-42', 'title: Add a parser', 'status: In Progress', 'labels: []', 'dependencies: []', '---', ''];
    lines.push('## Description', '', '<!-- SECTION:DESCRIPTION:BEGIN -->', 'Parse the files.', '<!-- SECTION:DESCRIPTION:END -->', '');
    lines.push('## Acceptance Criteria', '<!-- AC:BEGIN -->');
    ac.forEach((c, i) => lines.push(`- [${c.mark}] #${i + 1} ${c.title}`));
    lines.push('<!-- AC:END -->', '', '## Implementation Plan', '', '1. Read the spec', '2. Write the code', '');
    if (dod.length) {
      lines.push('## Definition of Done', '<!-- DOD:BEGIN -->');
      dod.forEach((c, i) => lines.push(`- [${c.mark}] #${i + 1} ${c.title}`));
      lines.push('<!-- DOD:END -->', '');
    }
    return render(lines, end, true);
  });

// ---- GFM README / TODO / roadmap -------------------------------------------------------------------------------

const gfmItem = fc.record({
  mark,
  title,
  extra: fc.constantFrom('', '', ' ⏸️ BLOCKED: waiting on vendor keys', ' (see [the docs](https://example.com/watch?v=1&index=2))', ' `P0`'),
  children: fc.array(fc.record({ mark, title }), { maxLength: 3 }),
});
const gfm = fc
  .tuple(
    fc.array(
      fc.record({ heading: title, items: fc.array(gfmItem, { minLength: 1, maxLength: 5 }), done: fc.boolean(), keys: fc.constantFrom('', '', 'SC', 'ABC') }),
      { minLength: 1, maxLength: 4 },
    ),
    eol,
    fc.boolean(),
  )
  .map(([sections, end, finalEol]) => {
    const lines = ['# My Project', '', '[![build](https://example.com/badge.svg)](https://example.com)', '', 'Some prose about it.', ''];
    lines.push('```md', '- [ ] an example checkbox in a fence', '```', '', '> - [ ] a quoted example', '');
    for (const s of sections) {
      lines.push(`## ${s.heading}`, '');
      s.items.forEach((it, i) => {
        // Tracker keys on some items only (`SC-001: …` then an item without one): the first runaway-id case of #8.
        const key = s.keys && i % 2 === 0 ? `${s.keys}-${pad(i + 1, 3)}: ` : '';
        lines.push(`- [${s.done ? 'x' : it.mark}] ${key}${it.title}${it.extra}`);
        for (const c of it.children) lines.push(`  - [${s.done ? 'x' : c.mark}] ${c.title}`);
      });
      lines.push('');
    }
    return render(lines, end, finalEol);
  });

// ---- GSD .planning/ROADMAP.md ----------------------------------------------------------------------------------

const gsd = fc
  .tuple(
    fc.array(
      fc.record({
        name: title,
        plans: fc.array(fc.record({ mark: fc.constantFrom(' ', 'x'), title }), { minLength: 1, maxLength: 3 }),
        goalCont: fc.boolean(),
      }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
    eol,
  )
  .map(([phases, end]) => {
    const lines = ['# Roadmap: Tool', '', '## Overview', '', 'From nothing to a release.', '', '## Phases', ''];
    phases.forEach((p, i) => lines.push(`- [${p.plans.every((x) => x.mark === 'x') ? 'x' : ' '}] **Phase ${i + 1}: ${p.name}** - one line`));
    lines.push('', '## Phase Details', '');
    phases.forEach((p, i) => {
      lines.push(`### Phase ${i + 1}: ${p.name}`);
      lines.push(`**Goal**: ${p.name} works`);
      // GSD writes these as one paragraph: "Depends on" is a continuation line of the Goal's.
      lines.push(`**Depends on**: ${i === 0 ? 'Nothing (first phase)' : `Phase ${i}`}`);
      if (p.goalCont) lines.push('**Requirements**: REQ-01, REQ-02');
      lines.push('**Success Criteria** (what must be TRUE):', '  1. A person can use it', `**Plans**: ${p.plans.length} plans`, '', 'Plans:');
      p.plans.forEach((x, k) => lines.push(`- [${x.mark}] ${pad(i + 1, 2)}-${pad(k + 1, 2)}: ${x.title}`));
      lines.push('');
    });
    lines.push('## Progress', '', '| Phase | Plans Complete | Status |', '|-------|----------------|--------|', '| 1. X | 0/1 | Not started |', '');
    return render(lines, end, true);
  });

// ---- a long flat list (300+ items) -----------------------------------------------------------------------------

const longlist = fc.tuple(fc.array(fc.record({ mark, title }), { minLength: 300, maxLength: 340 }), eol).map(([items, end]) => {
  const lines = ['# Backlog', ''];
  items.forEach((it, i) => {
    if (i % 50 === 0) lines.push(`## Batch ${i / 50 + 1}`, '');
    lines.push(`- [${it.mark}] ${it.title} ${i}`);
  });
  return render(lines, end, true);
});

/** A random file in each dialect. */
export const DIALECT_FILES: Record<DialectName, fc.Arbitrary<string>> = { coditect, speckit, kiro, ccpm, backlog, gfm, gsd, longlist };
