// `coditect cost <tasklist.md> [--by …] [--json]`: what the attempts recorded in context.db cost, summed by epic,
// feature, task, agent type, model, provider, day or run (docs/costs-and-gates.md). Only reads: the database is opened
// read-only, without the writer lock, so it answers while an engine runs.
import { existsSync } from 'node:fs';
import { formatCount, formatUsd, spendText, type CostReport, type SpendRow } from '../../protocol/spend';
import { openDatabaseReadOnly } from '../db/database';
import type { EnginePaths } from '../paths';
import { costReport } from '../spend/costReport';
import { UsageError, type CliOptions } from './args';

/** The cost report of the database of `paths` (throws a UsageError when there is no database yet). */
export function readCostReport(paths: EnginePaths, o: Pick<CliOptions, 'by'>): CostReport {
  if (!existsSync(paths.dbPath)) throw new UsageError(`no database at ${paths.dbPath} yet: nothing has run (coditect run or sync creates it)`);
  const h = openDatabaseReadOnly(paths.dbPath);
  try {
    return costReport(h.db, o.by ?? 'epic');
  } finally {
    h.close();
  }
}

/** Runs the command: prints the report; exit code 0. */
export function cmdCost(paths: EnginePaths, o: CliOptions, out: (s: string) => void): { code: number } {
  const report = readCostReport(paths, o);
  if (o.json) {
    out(JSON.stringify({ file: paths.tasklistPath, db: paths.dbPath, ...report }, null, 2));
    return { code: 0 };
  }
  out(`${paths.tasklistPath}: ${spendText(report.total)}`);
  if (report.rows.length === 0) {
    out('  no attempt has finished yet');
    return { code: 0 };
  }
  const head = report.by === 'agent' ? 'agent type' : report.by;
  const keyWidth = Math.min(40, Math.max(head.length, ...report.rows.map((r) => label(r).length)));
  out(
    `  ${head.padEnd(keyWidth)}  ${'cost'.padStart(10)}  ${'estimated'.padStart(10)}  ${'attempts'.padStart(8)}  ${'tokens in'.padStart(9)}  ${'out'.padStart(7)}`,
  );
  for (const r of report.rows) {
    out(
      `  ${label(r).slice(0, keyWidth).padEnd(keyWidth)}  ${formatUsd(r.costUsd).padStart(10)}  ${(r.estimatedUsd > 0 ? formatUsd(r.estimatedUsd, true) : '').padStart(10)}  ${String(r.attempts).padStart(8)}  ${formatCount(r.tokensIn).padStart(9)}  ${formatCount(r.tokensOut).padStart(7)}${r.unpriced ? `  (${r.unpriced} without a price)` : ''}`,
    );
  }
  return { code: 0 };
}

function label(r: SpendRow): string {
  return r.title ? `${r.key} ${r.title}` : r.key;
}
