import * as assert from 'node:assert/strict';
import { allocateTaskIds, missingIdEdits, writesIds, type IdSlot } from '../../../src/core/ids';
import { taskList } from './taskListBuilder';

const slot = (id: string | undefined, featureId = 'F001.01', epicId = 'E001'): IdSlot => ({ id: id ?? '', idExplicit: id !== undefined, featureId, epicId });

describe('allocateTaskIds', () => {
  it('continues the feature family above its highest id, skipping ids used anywhere', () => {
    const ids = allocateTaskIds(
      [slot('T001.009', 'F001.03'), slot('T001.010', 'F001.03'), slot(undefined, 'F001.03'), slot('T001.011', 'F001.04'), slot(undefined, 'F001.03')],
      'coditect',
    );
    assert.deepEqual(ids, ['T001.009', 'T001.010', 'T001.012', 'T001.011', 'T001.013']);
  });

  it('falls back to the epic family, then to T<epic>.NNN', () => {
    assert.deepEqual(allocateTaskIds([slot('T004.007', 'F004.01', 'E004'), slot(undefined, 'F004.02', 'E004')], 'coditect'), ['T004.007', 'T004.008']);
    assert.deepEqual(
      allocateTaskIds([slot(undefined, 'F007.01', 'E007'), slot(undefined, 'F007.01', 'E007'), slot(undefined, 'E008.00', 'E008')], 'coditect'),
      ['T007.001', 'T007.002', 'T008.001'],
    );
  });

  it('uses flat TNNN ids in Spec Kit files and in files whose ids are mostly flat', () => {
    assert.deepEqual(allocateTaskIds([slot(undefined, 'E001.00'), slot(undefined, 'E001.00')], 'speckit'), ['T001', 'T002']);
    assert.deepEqual(allocateTaskIds([slot('T1', 'A'), slot('T2', 'A'), slot(undefined, 'B', 'E002')], 'coditect'), ['T1', 'T2', 'T3']);
    assert.deepEqual(allocateTaskIds([slot('T0007', 'A'), slot(undefined, 'A')], 'speckit'), ['T0007', 'T0008']);
  });

  it("never continues a person's own scheme (tracker keys, #N, outline numbers): a provisional id there could collide with one they write later", () => {
    assert.deepEqual(allocateTaskIds([slot('API-9'), slot('API-12'), slot(undefined)], 'coditect'), ['API-9', 'API-12', 'T001.001']);
    assert.deepEqual(allocateTaskIds([slot('#12'), slot('2.1'), slot(undefined)], 'markdown'), ['#12', '2.1', 'T001.001']);
  });

  it('is deterministic and leaves written ids alone, duplicates included', () => {
    const slots = [slot('T001.001'), slot('T001.001'), slot(undefined), slot(undefined, 'F002.01', 'E002')];
    const a = allocateTaskIds(slots, 'coditect');
    assert.deepEqual(a, ['T001.001', 'T001.001', 'T001.002', 'T002.001']);
    assert.deepEqual(allocateTaskIds(slots, 'coditect'), a);
  });
});

describe('missingIdEdits and writesIds', () => {
  it('asks for the id a task is known by, only for tasks written without one that are not done', () => {
    const list = taskList([{ id: 'T001.001' }, { id: 'T001.002' }, { id: 'T001.003', status: 'completed' }, { id: 'T001.004', status: 'skipped' }]);
    for (const t of list.tasks.slice(1)) t.idExplicit = false;
    assert.deepEqual(missingIdEdits(list), [{ taskId: 'T001.002', assignId: 'T001.002' }]);
    list.tasks[1].idExplicit = true;
    assert.deepEqual(missingIdEdits(list), []);
  });

  it('writes ids only into CODITECT files unless the person says always or never', () => {
    const list = taskList([{ id: 'T001.001' }]);
    assert.equal(writesIds(list), true);
    assert.equal(writesIds(list, 'never'), false);
    for (const dialect of ['speckit', 'kiro', 'markdown'] as const) {
      assert.equal(writesIds({ ...list, dialect }), false, dialect);
      assert.equal(writesIds({ ...list, dialect }, 'always'), true, dialect);
    }
  });
});
