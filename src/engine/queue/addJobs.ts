// Adds jobs of several BullMQ queues in ONE pipelined write to Redis. `Queue.addBulk` writes one queue's jobs per
// call, and each call makes its own ioredis pipeline, which copies BullMQ's ~50 scripts onto itself: a coordinator's
// dispatch pass of about 10 jobs spread over 10 agent-type queues made 10 pipelines (about 75 µs of CPU each in a
// profile of the workers bench) and 10 round trips. This does what `Queue.addBulk` does for each job (a `Job` with the
// same name, data and options, added by `Job.addJob` — BullMQ's public API — with its own queue's keys) on one
// pipeline of one queue's connection: the commands carry their keys, so any connection with BullMQ's scripts runs them.
// Unlike addBulk, one job's error does not fail the others: each job's outcome is its own.
import { Job, type JobsOptions, type Queue } from 'bullmq';

/** One job to add: its queue, and what `Queue.addBulk` would be given for it. */
export interface JobToAdd {
  queue: Queue;
  name: string;
  data: unknown;
  opts: JobsOptions & { jobId: string };
}

/**
 * Adds `jobs` (any queues, all on one Redis) in one pipeline. Resolves with each job's error, or undefined when it was
 * added (a job id that already exists counts as added: BullMQ keeps the existing job). Rejects only when the pipeline
 * as a whole did not run.
 */
export async function addJobsInOnePipeline(jobs: readonly JobToAdd[]): Promise<(Error | undefined)[]> {
  if (jobs.length === 0) return [];
  const pipeline = (await jobs[0].queue.getBackend().client).pipeline();
  // As Queue.addBulk merges them: the queue's default job options, then the job's own (telemetry is not used here).
  // Job.addJob queues its command on the pipeline; it resolves before the pipeline runs, with nothing to read yet.
  await Promise.all(jobs.map((j) => new Job(j.queue, j.name, j.data, { ...j.queue.jobsOpts, ...j.opts }, j.opts.jobId).addJob(pipeline)));
  const results = await pipeline.exec();
  if (!results || results.length !== jobs.length) throw new Error(`redis answered ${results?.length ?? 'nothing'} of ${jobs.length} job add(s)`);
  return results.map(([e]) => e ?? undefined);
}
