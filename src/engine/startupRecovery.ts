// What a stopped engine may have left half done, put right before this one reads anything: finished results it kept
// while the database took no writes (written first, so a task that finished is never recovered as unfinished and run
// again), temp files of a killed write of the task list, and a plan write it was making in place. Each step is its
// own module's (resultJournal, resultWriter, atomicWrite); this is their order and what is said about each. Covered by
// the process fault suites (crash recovery, disk full, markdown write), which kill real engines.
import type { Logger } from './logger';
import type { TaskStore } from './db/taskStore';
import { ResultJournal, resultJournalPath } from './db/resultJournal';
import { replayResults } from './resultWriter';
import { recoverInPlaceWrite, removeStaleTemps } from './sync/atomicWrite';
import { planWritePendingPath } from './paths';

/** Options of recoverLeftovers. */
export interface LeftoversOptions {
  store: TaskStore;
  /** The database file (the journal and the pending plan write live beside it). */
  dbPath: string;
  tasklistPath: string;
  /** A read-only engine reserves no disk space and touches no temp file of the plan. */
  readOnly: boolean;
  logger: Logger;
}

/** Recovers what a stopped engine left (see the file comment); returns the result journal this engine writes to. */
export function recoverLeftovers(o: LeftoversOptions): ResultJournal {
  const { logger } = o;
  const journal = new ResultJournal(resultJournalPath(o.dbPath));
  for (const line of journal.unreadable) logger.error(`result journal: unreadable record ${line}`);
  if (journal.size > 0) {
    const r = replayResults(o.store, journal);
    if (r.written.length) logger.warn(`wrote ${r.written.length} result(s) a previous engine kept while the database took no writes: ${r.written.join(', ')}`);
    if (r.discarded.length) logger.warn(`discarded ${r.discarded.length} kept result(s) whose task changed meanwhile: ${r.discarded.join(', ')}`);
  }
  const noReserve = o.readOnly ? undefined : journal.reserve();
  if (noReserve !== undefined) logger.warn(`no disk space reserved for finished results (${noReserve}): on a full disk they may wait in memory only`);
  if (!o.readOnly)
    for (const t of removeStaleTemps(o.tasklistPath))
      if (t.action === 'restored') logger.warn(`put ${o.tasklistPath} back from ${t.path}: a write of the task list was killed while the file was moved aside`);
      else logger.info(`removed ${t.path}, left by a write of the task list that was killed`);
  // A plan write the previous engine was making in place when it stopped: finished before anything reads the plan.
  const recovered = recoverInPlaceWrite(planWritePendingPath(o.dbPath));
  if (recovered.kind === 'restored')
    logger.warn(`finished a write of ${recovered.target} that a stopped engine began; the file as it was is kept at ${recovered.keptAt}`);
  if (recovered.kind === 'unreadable') logger.error(`an interrupted plan write could not be read; kept at ${recovered.keptAt}`);
  return journal;
}
