// The fault suite's figures table (#14 "done means"): each fault test records what it measured — trials, how many
// survived, and what was lost, duplicated or leaked, counted from the database, the files and the processes it
// inspected — and the table is printed once after the whole mocha run (`npm run test:faults`, and inside `npm test`).
// When CODITECT_FAULT_FIGURES names a file, the rows are also written there as JSON lines (the suite's script reads it).
import { appendFileSync, writeSync } from 'node:fs';

/** One scenario's measured outcome. */
export interface FaultFigure {
  scenario: string;
  trials: number;
  /** Trials whose every check held (nothing lost, duplicated or leaked, the expected exit). */
  survived: number;
  /** Finished results or a person's text that did not survive. */
  lost: number;
  /** Work done twice (a finished task run again). */
  duplicated: number;
  /** Things left behind: processes, temp files, a writable plan. */
  leaked: number;
  /** What else was measured, e.g. "exit 1 in 140 ms". */
  note?: string;
}

const rows: FaultFigure[] = [];
let hooked = false;

/** Records a scenario's figures; the table is printed after the run. */
export function recordFigure(f: FaultFigure): void {
  rows.push(f);
  const file = process.env.CODITECT_FAULT_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify(f)}\n`);
  if (!hooked) {
    hooked = true;
    // 'exit', not a mocha hook (the rows come from inside tests) nor 'beforeExit' (mocha may end with process.exit).
    process.once('exit', () => writeSync(1, figuresTable(rows)));
  }
}

/** The figures as a markdown table. */
export function figuresTable(fs: readonly FaultFigure[]): string {
  const head = '| scenario | trials | survived | lost | duplicated | leaked | measured |\n|---|---|---|---|---|---|---|\n';
  return `\nfault figures (measured by the fault tests)\n${head}${fs
    .map((f) => `| ${f.scenario} | ${f.trials} | ${f.survived} | ${f.lost} | ${f.duplicated} | ${f.leaked} | ${f.note ?? ''} |`)
    .join('\n')}\n`;
}
