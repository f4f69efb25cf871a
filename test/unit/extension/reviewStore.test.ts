import * as assert from 'node:assert/strict';
import type { ListReviewsResult } from '../../../src/protocol/engineProtocol';
import { PlanStore } from '../../../src/extension/planStore';
import { ReviewStore } from '../../../src/extension/reviewStore';
import { deferred, type Deferred } from '../../fakes/agentTestKit';
import { reviewView } from '../webview/dashboardFixture';
import { smallPlan, taskView } from './planFixture';

const review = reviewView;

/** One turn of the event loop: the answered request's continuation has run. */
const turn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

/** The engine's side of coditect/reviewList: each call waits for the test to answer it. */
class Engine {
  readonly calls: Deferred<ListReviewsResult>[] = [];
  list = (): Promise<ListReviewsResult> => {
    const d = deferred<ListReviewsResult>();
    this.calls.push(d);
    return d.promise;
  };
}

describe('editor review store (task branches waiting for review)', () => {
  it('asks the engine when a task enters or leaves blocked, not on other changes, and says which tasks changed', async () => {
    const store = new PlanStore();
    const engine = new Engine();
    const reviews = new ReviewStore(engine.list, store);
    const changed: string[][] = [];
    reviews.events.on('reviews:changed', (c) => changed.push(c.taskIds));
    store.replace(smallPlan());
    assert.equal(engine.calls.length, 1, 'a new plan: ask');
    engine.calls[0].resolve({ isolation: true, reviews: [] });
    await turn();

    const counts = store.snapshot!.counts;
    store.applyTasks({ tasks: [taskView('T2', { status: 'in_progress', line: 5 })], counts, groups: [], removed: [] });
    assert.equal(engine.calls.length, 1, 'a task starting changes no review');
    store.applyTasks({ tasks: [taskView('T2', { status: 'blocked', line: 5 })], counts, groups: [], removed: [] });
    assert.equal(engine.calls.length, 2, 'blocked: its branch may wait for review');
    engine.calls[1].resolve({ isolation: true, reviews: [review('T2')] });
    await turn();
    assert.equal(reviews.get('T2')?.stat.text, '1 file, +2 −0');
    assert.deepEqual(changed, [['T2']]);

    store.applyTasks({ tasks: [taskView('T2', { status: 'completed', line: 5 })], counts, groups: [], removed: [] });
    assert.equal(engine.calls.length, 3, 'a task that had a review left blocked: ask');
    engine.calls[2].resolve({ isolation: true, reviews: [] });
    await turn();
    assert.equal(reviews.get('T2'), undefined);
    assert.deepEqual(changed, [['T2'], ['T2']]);
    reviews.dispose();
  });

  it('folds refreshes asked while one is under way into one more, whose answer wins', async () => {
    const engine = new Engine();
    const reviews = new ReviewStore(engine.list);
    const first = reviews.refresh();
    void reviews.refresh();
    void reviews.refresh();
    assert.equal(engine.calls.length, 1, 'one request at a time');
    engine.calls[0].resolve({ isolation: true, reviews: [review('T1')] });
    await turn();
    assert.equal(engine.calls.length, 2, 'then exactly one more');
    engine.calls[1].resolve({
      isolation: true,
      reviews: [review('T1', { head: 'c'.repeat(40), stat: { files: 2, added: 3, deleted: 1, text: '2 files, +3 −1' } })],
    });
    await first;
    assert.equal(reviews.get('T1')?.stat.text, '2 files, +3 −1');
    assert.equal(engine.calls.length, 2);
  });

  it('keeps the last list when the engine does not answer, and says why', async () => {
    const reviews = new ReviewStore(() => Promise.reject(new Error('the engine is restarting')));
    const failed: string[] = [];
    reviews.events.on('reviews:failed', (f) => failed.push(f.message));
    await reviews.refresh();
    assert.deepEqual(failed, ['the engine is restarting']);
    assert.deepEqual(reviews.all(), []);
  });
});
