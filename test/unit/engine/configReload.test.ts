// ConfigReloader: what a change of the config file does while the engine runs. The file's reading and the trust
// guard are injected; one test watches a real file.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrchestratorConfig } from '../../../src/engine/config';
import { ConfigReloader, type ConfigReloaderOptions } from '../../../src/engine/configReload';

/** Just the keys the reloader reads, plus one that a reload changes. */
function configOf(maxConcurrentAgents: number, criteria: string[] = ['Acceptance']): OrchestratorConfig {
  return { maxConcurrentAgents, sync: { criteria_headings: criteria, write_ids: undefined } } as unknown as OrchestratorConfig;
}

interface Kit {
  reloader: ConfigReloader;
  base: OrchestratorConfig;
  said: [string, string][];
  applied: number;
  guard: { starts: number; running: boolean };
  next: OrchestratorConfig | Error;
}

function kit(over: Partial<ConfigReloaderOptions> = {}): Kit {
  const k = { base: configOf(2), said: [], applied: 0, guard: { starts: 0, running: false }, next: configOf(3) } as unknown as Kit;
  k.reloader = new ConfigReloader({
    path: '/plan/.coditect/config.json',
    base: k.base,
    load: () => {
      if (k.next instanceof Error) throw k.next;
      return k.next;
    },
    mark: () => k.guard.starts,
    couldWriteSince: (mark) => k.guard.running || k.guard.starts !== mark,
    apply: () => void k.applied++,
    say: (level, message) => void k.said.push([level, message]),
    ...over,
  });
  return k;
}

describe('ConfigReloader: the config file reloaded while the engine runs', () => {
  it('updates the running config in place and applies it', () => {
    const k = kit();
    k.reloader.reload();
    assert.equal(k.base.maxConcurrentAgents, 3);
    assert.equal(k.applied, 1);
    assert.deepEqual(k.said, [['info', 'reloaded config /plan/.coditect/config.json']]);
  });

  it('refuses a file an unsandboxed agent could have written, now and on every later change', () => {
    const k = kit();
    k.guard.starts++; // an uncontained agent started (and ended) since the engine opened
    k.reloader.reload();
    k.reloader.reload();
    assert.equal(k.base.maxConcurrentAgents, 2, 'the running config is untouched');
    assert.equal(k.applied, 0);
    assert.equal(k.said.length, 2);
    for (const [level, message] of k.said) {
      assert.equal(level, 'error');
      assert.match(message, /unsandboxed agent could write it: not reloaded/);
    }
  });

  it('keeps the last good config when the file does not load, and says which key', () => {
    const k = kit();
    k.next = new Error('maxConcurrentAgents: expected a number');
    k.reloader.reload();
    assert.equal(k.base.maxConcurrentAgents, 2);
    assert.equal(k.applied, 0);
    assert.deepEqual(k.said, [['error', 'config not reloaded: maxConcurrentAgents: expected a number']]);
  });

  it('warns that the keys reading the task list need a restart, and applies the rest', () => {
    const k = kit();
    k.next = configOf(4, ['Done when']);
    k.reloader.reload();
    assert.equal(k.applied, 1);
    assert.equal(k.said[0][0], 'warn');
    assert.match(k.said[0][1], /sync\.criteria_headings and sync\.write_ids are read at start/);
    assert.equal(k.said[1][0], 'info');
  });

  it('sees the file change on disk once watch() resolves; close() stops it and may be called again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-reload-'));
    const path = join(dir, 'config.json');
    writeFileSync(path, '{}');
    let appliedNow!: () => void;
    const applied = new Promise<void>((resolve) => (appliedNow = resolve));
    const k = kit({ path, apply: () => appliedNow() });
    try {
      await k.reloader.watch();
      writeFileSync(path, '{"maxConcurrentAgents": 3}');
      await applied;
      assert.equal(k.base.maxConcurrentAgents, 3);
    } finally {
      await k.reloader.close();
      await k.reloader.close();
      rmSync(dir, { recursive: true, force: true });
    }
    k.reloader.reload();
    assert.equal(k.said.filter(([l]) => l === 'info').length, 1, 'nothing is reloaded after close');
  });
});
