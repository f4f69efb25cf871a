// The config key sync.criteria_headings through the built CLI and a real engine (issue #8: criteria headings are
// configurable): the CLI's own parse (validate, graph, next) and the engine's (status, run) read the same headings,
// a dry run never starts a checkbox under one, and a bad value is refused with an error naming it.
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from './cliHarness';

// Our own words: "Exit Checks" is not a built-in criteria heading, "Success Criteria" is.
const PLAN = [
  '# Release 2',
  '',
  '## Build',
  '',
  '- [ ] Write the exporter',
  '- [ ] Document the exporter',
  '',
  '## Exit Checks',
  '',
  '- [ ] Exporter handles 10k rows',
  '- [ ] No warnings in the log',
  '',
  '## Success Criteria',
  '',
  '- [ ] Release notes published',
  '',
].join('\n');

interface Node {
  id: string;
  title: string;
  kind?: string;
  line: number;
}

describe('sync.criteria_headings (built CLI, real engine)', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  before(() => ensureBuilt());
  after(() => dirs.forEach(removeWorkspace));

  function workspace(config: unknown): string {
    const dir = tempWorkspace({ 'plan.md': PLAN });
    dirs.push(dir);
    mkdirSync(join(dir, '.coditect'), { recursive: true });
    writeFileSync(join(dir, '.coditect', 'config.json'), JSON.stringify(config));
    return dir;
  }

  const kinds = (nodes: Node[]): Record<string, string> => Object.fromEntries(nodes.map((n) => [n.title, n.kind ?? 'work']));

  it('replaces the built-in headings for graph, validate, status, next and run', async () => {
    const dir = workspace({ sync: { criteria_headings: ['Exit Checks'] } });
    const graph = await runCli(['graph', 'plan.md', '--json'], dir);
    assert.equal(graph.code, 0, graph.stderr);
    assert.deepEqual(kinds((JSON.parse(graph.stdout) as { nodes: Node[] }).nodes), {
      'Write the exporter': 'work',
      'Document the exporter': 'work',
      'Exporter handles 10k rows': 'criterion',
      'No warnings in the log': 'criterion',
      // The configured list replaces the built-in one: this heading is work now.
      'Release notes published': 'work',
    });

    const validate = await runCli(['validate', 'plan.md', '--json'], dir);
    assert.equal(validate.code, 0, validate.stderr);

    const status = await runCli(['status', 'plan.md', '--json'], dir);
    assert.equal(status.code, 0, status.stderr);
    const counts = (JSON.parse(status.stdout) as { counts: { criteria: { total: number } } }).counts;
    assert.equal(counts.criteria.total, 2, status.stdout);

    const next = await runCli(['next', 'plan.md', '--json'], dir);
    assert.equal(next.code, 0, next.stderr);
    const ready = (JSON.parse(next.stdout) as { ready: { title: string }[] }).ready.map((t) => t.title);
    assert.deepEqual(ready.sort(), ['Document the exporter', 'Release notes published', 'Write the exporter']);

    const run = await runCli(['run', 'plan.md', '--agent', 'dry-run', '--json'], dir);
    assert.equal((JSON.parse(run.stdout) as { outcome: string }).outcome, 'completed', run.stderr);
    const after = readFileSync(join(dir, 'plan.md'), 'utf8');
    assert.match(after, /- \[x\] Release notes published/);
    assert.match(after, /- \[x\] Write the exporter/);
    assert.match(after, /- \[ \] Exporter handles 10k rows/);
    assert.match(after, /- \[ \] No warnings in the log/);
  });

  it('without the key, the built-in headings apply; [] turns headings off', async () => {
    const builtIn = workspace({});
    const g1 = await runCli(['graph', 'plan.md', '--json'], builtIn);
    const k1 = kinds((JSON.parse(g1.stdout) as { nodes: Node[] }).nodes);
    assert.equal(k1['Release notes published'], 'criterion');
    assert.equal(k1['No warnings in the log'], 'work');

    const none = workspace({ sync: { criteria_headings: [] } });
    const g2 = await runCli(['graph', 'plan.md', '--json'], none);
    assert.ok(
      Object.values(kinds((JSON.parse(g2.stdout) as { nodes: Node[] }).nodes)).every((k) => k === 'work'),
      g2.stdout,
    );
  });

  it('--config names the file the CLI parse reads it from', async () => {
    const dir = workspace({});
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ sync: { criteria_headings: ['exit checks'] } }));
    const g = await runCli(['graph', 'plan.md', '--json', '--config', 'other.json'], dir);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(kinds((JSON.parse(g.stdout) as { nodes: Node[] }).nodes)['Exporter handles 10k rows'], 'criterion');
  });

  for (const [bad, expected] of [
    [['✅'], /sync\.criteria_headings\.0: expected a heading name with a letter or digit, got "✅"/],
    [['Exit Checks', 3], /sync\.criteria_headings\.1: expected string, got 3/],
    ['Exit Checks', /sync\.criteria_headings: expected array, got "Exit Checks"/],
  ] as const) {
    it(`refuses ${JSON.stringify(bad)} with an error naming the key and the value, in the CLI and the engine`, async () => {
      const dir = workspace({ sync: { criteria_headings: bad } });
      for (const cmd of ['validate', 'status']) {
        const r = await runCli([cmd, 'plan.md'], dir);
        assert.equal(r.code, 1, `${cmd}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, expected, cmd);
      }
      assert.equal(readFileSync(join(dir, 'plan.md'), 'utf8'), PLAN);
    });
  }
});
