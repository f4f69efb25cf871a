import * as assert from 'node:assert/strict';
import { parseUiState } from '../../../webview-ui/panels/selection';

describe('dashboard stored UI state', () => {
  it('restores a valid filter and epic, and ignores anything else (state from an older page)', () => {
    assert.deepEqual(parseUiState({ filter: 'failed', epic: 'E002' }), { filter: 'failed', epic: 'E002' });
    assert.deepEqual(parseUiState({ filter: 'open' }), { filter: 'open', epic: undefined });
    assert.deepEqual(parseUiState({ filter: 'all', epic: 7 }), { filter: 'all', epic: undefined });
    for (const bad of [undefined, null, 'open', { filter: 'blocked' }, { epic: 'E001' }]) assert.equal(parseUiState(bad), undefined, JSON.stringify(bad));
  });
});
