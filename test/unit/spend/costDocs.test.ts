// Keeps docs/costs-and-gates.md honest: every ```json config block in it loads with the real config loader.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../../src/engine/config';

const DOC = path.resolve(__dirname, '..', '..', '..', 'docs', 'costs-and-gates.md');

describe('docs/costs-and-gates.md', () => {
  it('every json config block is a valid config', () => {
    const text = readFileSync(DOC, 'utf8');
    const blocks = [...text.matchAll(/^```json config\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    assert.ok(blocks.length >= 1);
    for (const b of blocks) assert.doesNotThrow(() => parseConfig(JSON.parse(b), 'costs-and-gates.md', { env: {} }), b);
  });
});
