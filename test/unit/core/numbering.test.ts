// A file's own numbering is its ids (issue #8): lettered Spec Kit ids, outline numbers (Kiro), #N (Backlog.md, CCPM,
// GitHub), tracker keys, GSD plan numbers, CCPM task files — and a number that only happens to start one title stays
// part of that title. The dialect is read from evidence, never from a heading name alone.
import * as assert from 'node:assert/strict';
import type { TaskList } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';

const parse = (...lines: string[]): TaskList => parseTaskList(lines.join('\n'));
const ids = (l: TaskList) => l.tasks.map((t) => [t.id, t.idExplicit, t.title]);
const errors = (l: TaskList) => l.diagnostics.filter((d) => d.severity === 'error');

describe('a file’s own numbering is its ids', () => {
  it('Spec Kit lettered ids are ids, and "after T012a" waits for T012a (not T012)', () => {
    const l = parse('## Phase 1: Setup', '- [ ] T012 Base', '- [ ] T012a Inserted later', '- [ ] T042A [P] Another', '- [ ] T013 Next after T012a');
    assert.deepEqual(ids(l), [
      ['T012', true, 'Base'],
      ['T012a', true, 'Inserted later'],
      ['T042A', true, 'Another'],
      ['T013', true, 'Next after T012a'],
    ]);
    assert.ok(l.tasks[3].dependsOn.some((d) => d.id === 'T012a' && d.type === 'blocks' && d.source === 'implicit'));
    assert.equal(l.dialect, 'speckit');
  });

  it('Kiro outline numbers, bare or bold, nested or not, are the ids; the file is read as kiro', () => {
    const l = parse(
      '# Implementation Plan',
      '',
      '- [ ] 1. Set up the project',
      '  - Create the folders',
      '  - _Requirements: 1.1, 2.3_',
      '- [ ] 2. Data models',
      '  - [ ] 2.1 Core interfaces',
      '  - [x] 2.2. Validation',
      '- [ ] **3.1.1** Bold outline',
    );
    assert.deepEqual(ids(l), [
      ['1', true, 'Set up the project'],
      ['2', true, 'Data models'],
      ['2.1', true, 'Core interfaces'],
      ['2.2', true, 'Validation'],
      ['3.1.1', true, 'Bold outline'],
    ]);
    assert.equal(l.dialect, 'kiro');
    assert.deepEqual(l.numbering, ['outline']);
    assert.deepEqual(errors(l), []);
    // Requirement numbers are not task dependencies.
    assert.deepEqual(l.tasks[0].dependsOn, []);
  });

  it('a number that only starts one title stays in it ("2.0 migration guide" is not task 2.0)', () => {
    const l = parse('# Roadmap', '', '- [ ] 2.0 migration guide', '- [ ] Write the changelog', '- [ ] 1.5 hours of soak testing');
    assert.deepEqual(
      l.tasks.map((t) => [t.idExplicit, t.title]),
      [
        [false, '2.0 migration guide'],
        [false, 'Write the changelog'],
        [false, '1.5 hours of soak testing'],
      ],
    );
    assert.equal(l.numbering, undefined);
    assert.equal(l.dialect, 'markdown');
  });

  it('the same outline number under two headings is no error: the later task is known by another id', () => {
    const l = parse('# Checklists', '## Before', '- [ ] 1. Back up', '- [ ] 2. Stop', '## After', '- [ ] 1. Start', '- [ ] 2. Check');
    assert.deepEqual(errors(l), []);
    assert.deepEqual(
      l.tasks.map((t) => t.title),
      ['Back up', 'Stop', 'Start', 'Check'],
    );
    assert.equal(new Set(l.tasks.map((t) => t.id)).size, 4);
    assert.deepEqual(
      l.tasks.map((t) => t.idExplicit),
      [true, true, false, false],
    );
  });

  it('#N ids (Backlog.md acceptance criteria, CCPM epics after sync, GitHub issues) and CCPM task files 001.md', () => {
    const l = parse('## Tasks Created', '- [ ] #120 - Payment API (parallel: true)', '- [x] #121 Webhooks', '- [ ] 003.md - Refund flow');
    assert.deepEqual(
      l.tasks.map((t) => [t.id, t.idExplicit]),
      [
        ['#120', true],
        ['#121', true],
        ['003', true],
      ],
    );
    assert.deepEqual(
      l.tasks.map((t) => t.title.replace(/ \(parallel: true\)$/, '')),
      ['Payment API', 'Webhooks', 'Refund flow'],
    );
  });

  it('tracker keys: with a colon or decorated always; bare before a space when the file numbers its tasks so', () => {
    const keyed = parse('# Success criteria', '- [x] SC-001: Users sign in', '- [ ] SC-002 Users sign out', '- [ ] SC-003 Sessions expire');
    assert.deepEqual(
      keyed.tasks.map((t) => [t.id, t.idExplicit, t.title]),
      [
        ['SC-001', true, 'Users sign in'],
        ['SC-002', true, 'Users sign out'],
        ['SC-003', true, 'Sessions expire'],
      ],
    );
    const prose = parse('# Notes', '- [ ] COVID-19 dashboard for the clinic', '- [ ] Ship it');
    assert.deepEqual(
      prose.tasks.map((t) => [t.idExplicit, t.title]),
      [
        [false, 'COVID-19 dashboard for the clinic'],
        [false, 'Ship it'],
      ],
    );
  });

  it('GSD plan numbers (01-02:) are ids; phase headings alone do not make a file Spec Kit', () => {
    const l = parse('# Roadmap: Tool', '## Phase Details', '### Phase 1: Core', 'Plans:', '- [ ] 01-01: Scaffold', '- [x] 01-02: Parser');
    assert.deepEqual(
      l.tasks.map((t) => [t.id, t.title]),
      [
        ['01-01', 'Scaffold'],
        ['01-02', 'Parser'],
      ],
    );
    assert.equal(l.dialect, 'markdown');
  });

  it('dialects from evidence: E/F headings or dotted ids → coditect; flat ids with [P]/[US] or phases → speckit; else markdown', () => {
    assert.equal(parse('## E001: Core', '- [ ] Do it').dialect, 'coditect');
    assert.equal(parse('# Plan', '- [ ] **T001.001** Do it', '- [ ] T001.002 More').dialect, 'coditect');
    assert.equal(parse('# Tasks', '- [ ] T001 [P] Do it').dialect, 'speckit');
    assert.equal(parse('## Phase 1: Setup', '- [ ] T001 Do it').dialect, 'speckit');
    assert.equal(parse('# TODO', '- [ ] Buy milk', '- [x] Call mom').dialect, 'markdown');
    assert.equal(parse('# Epic: payments', '## Phase 1: Foundation', '- [ ] #12 - Do it (parallel: true)').dialect, 'markdown');
  });
});
