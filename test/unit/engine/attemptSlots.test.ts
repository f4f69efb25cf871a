import { strict as assert } from 'node:assert';
import { AttemptSlots } from '../../../src/engine/attemptSlots';

const a = (taskId: string, agentType: string) => ({ taskId, agentType });

describe('AttemptSlots (the one count of running attempts)', () => {
  it('admits up to the global limit, then says which limit is reached', () => {
    const s = new AttemptSlots({ maxConcurrent: 2, maxPerType: {} });
    assert.equal(s.full(), undefined);
    s.add(a('A', 'x'));
    s.add(a('B', 'y'));
    assert.equal(s.full(), 'the global limit of 2 running agents is reached');
    assert.equal(s.full('z'), 'the global limit of 2 running agents is reached');
    assert.equal(s.delete('A')?.taskId, 'A');
    assert.equal(s.full('z'), undefined);
  });

  it("holds a type at its own limit while other types still start; a limit of 0 holds the type's tasks back", () => {
    const s = new AttemptSlots({ maxConcurrent: 8, maxPerType: { devops: 1, held: 0 } });
    s.add(a('A', 'devops'));
    assert.equal(s.full('devops'), 'the limit of 1 running devops agents is reached');
    assert.equal(s.full('backend'), undefined);
    assert.equal(s.full('held'), 'the limit of 0 running held agents is reached');
    assert.equal(s.full(), undefined, 'without a type, only the global limit counts');
  });

  it('counts per type, leaving types with none out, and keeps the attempts by task id', () => {
    const s = new AttemptSlots({ maxConcurrent: 8, maxPerType: {} });
    s.add(a('A', 'x'));
    s.add(a('B', 'x'));
    s.add(a('C', 'y'));
    assert.deepEqual(s.byType(), { x: 2, y: 1 });
    assert.equal(s.size, 3);
    assert.ok(s.has('C'));
    assert.deepEqual(s.get('B'), a('B', 'x'));
    assert.deepEqual(
      [...s.values()].map((v) => v.taskId),
      ['A', 'B', 'C'],
    );
    s.delete('C');
    assert.deepEqual(s.byType(), { x: 2 });
    assert.equal(s.delete('C'), undefined, 'a second delete finds nothing and changes no count');
    assert.deepEqual(s.byType(), { x: 2 });
  });

  it('a task runs one attempt at a time: adding a second is an error naming it', () => {
    const s = new AttemptSlots({ maxConcurrent: 8, maxPerType: {} });
    s.add(a('T9', 'x'));
    assert.throws(() => s.add(a('T9', 'y')), /T9 already has a running attempt/);
    assert.deepEqual(s.byType(), { x: 1 });
  });

  it('new limits apply to the next starts; the attempts running go on', () => {
    const s = new AttemptSlots({ maxConcurrent: 4, maxPerType: {} });
    for (const id of ['A', 'B', 'C']) s.add(a(id, 'x'));
    s.setLimits({ maxConcurrent: 2, maxPerType: { x: 5 } });
    assert.equal(s.size, 3);
    assert.equal(s.full('x'), 'the global limit of 2 running agents is reached');
    s.setLimits({ maxConcurrent: 10, maxPerType: { x: 3 } });
    assert.equal(s.full('x'), 'the limit of 3 running x agents is reached');
  });

  it('refuses limits that are not counts, naming the limit and the value', () => {
    assert.throws(() => new AttemptSlots({ maxConcurrent: 0, maxPerType: {} }), /maxConcurrent must be an integer ≥ 1, got 0/);
    assert.throws(() => new AttemptSlots({ maxConcurrent: 1.5, maxPerType: {} }), /got 1\.5/);
    assert.throws(() => new AttemptSlots({ maxConcurrent: 2, maxPerType: { devops: -1 } }), /agent type devops must be an integer ≥ 0, got -1/);
    const s = new AttemptSlots({ maxConcurrent: 2, maxPerType: {} });
    assert.throws(() => s.setLimits({ maxConcurrent: NaN, maxPerType: {} }), /got NaN/);
    assert.equal(s.full(), undefined, 'a refused change keeps the limits');
  });
});
