// The shipped Prometheus files checked by Prometheus's own tool (Debian's `prometheus` package ships promtool; .ci/run
// installs it): the rules parse, the scrape config loads them, and each rule's unit tests in alerts.test.yml pass —
// the plan's HighTaskFailureRate (with the config's threshold), OrchestratorDown and DispatchLatencyHigh fire when
// they should and stay quiet when they should not.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = join(__dirname, '../../../resources/monitoring');

function promtool(args: string[], cwd = DIR): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool cannot run (apt-get install prometheus): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('Prometheus files (promtool)', function () {
  this.timeout(60_000);

  it('alerts.yml and prometheus.yml pass promtool check', () => {
    const rules = promtool(['check', 'rules', 'alerts.yml']);
    assert.equal(rules.code, 0, rules.out);
    assert.match(rules.out, /SUCCESS: 5 rules found/);
    const config = promtool(['check', 'config', 'prometheus.yml']);
    assert.equal(config.code, 0, config.out);
  });

  it("every rule's unit tests in alerts.test.yml pass", () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it('the unit tests catch a rule that no longer reads the configured threshold', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coditect-promtool-'));
    try {
      copyFileSync(join(DIR, 'alerts.test.yml'), join(dir, 'alerts.test.yml'));
      // The plan's literal expression (failures per second > 0.1) instead of the share against the config's threshold.
      const original = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
      const rules = original.replace(
        /expr: \|\n\s+sum without \(instance\) \(increase\(coditect_tasks_failed\[15m\]\)\)\n.*\n.*coditect_alert_on_failure_rate\)\n/,
        'expr: rate(coditect_tasks_failed[5m]) > 0.1\n',
      );
      assert.match(rules, /expr: rate\(coditect_tasks_failed\[5m\]\) > 0\.1\n/, 'the mutation applied');
      writeFileSync(join(dir, 'alerts.yml'), rules);
      const r = promtool(['test', 'rules', 'alerts.test.yml'], dir);
      assert.notEqual(r.code, 0, 'the mutated rule must fail its unit tests');
      assert.match(r.out, /HighTaskFailureRate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
