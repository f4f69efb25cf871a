// What goes through Redis between the coordinator (the engine that owns the plan and its database) and `coditect
// worker` processes: one BullMQ job per attempt, in one queue per agent type. Declared once here, for both sides.
//
// Trust: a job carries the task as the agent is told it, never a secret (a worker's agents use the worker's own
// environment). A job's result comes from another machine and its agent: the coordinator reads it through
// `parseJobResult`, which keeps only known fields of bounded size, and it can only end the attempt it was enqueued for
// (the attempt id is the coordinator's, from the job id, never from the result).
import { z } from 'zod';
import { AGENT_ERROR_KINDS, type AgentErrorKind, type AgentTaskInput } from '../agents/agent';
import type { AttemptReport, StopWhy } from '../executor';
import { quickCheckOf } from './quickShape';

/** Version of the job data and result shapes; a worker refuses a job of another version (named in the failure). */
export const JOB_PROTOCOL = 2;

/** The BullMQ queue of an agent type (one per type, so a type's limit holds across every worker). */
export function queueNameOf(agentType: string): string {
  // BullMQ keys are `prefix:name:…`: a ':' in a name would collide with them.
  return `agent-${encodeURIComponent(agentType)}`;
}

/** The agent type a queue name belongs to (queueNameOf's inverse), or undefined for another queue. */
export function agentTypeOfQueue(queueName: string): string | undefined {
  if (!queueName.startsWith('agent-')) return undefined;
  try {
    return decodeURIComponent(queueName.slice('agent-'.length));
  } catch {
    return undefined;
  }
}

/** The job id of an attempt: one job per attempt row, so enqueueing twice never makes two jobs. */
export function jobIdOf(attemptId: number): string {
  return `attempt-${attemptId}`;
}

/** The attempt id in a job id, or undefined. */
export function attemptIdOf(jobId: string | undefined): number | undefined {
  const m = /^attempt-(\d{1,15})$/.exec(jobId ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Redis set of every agent type's queue the coordinator has used (a worker without --agents serves them all). */
export function queueSetKey(prefix: string): string {
  return `${prefix}:coditect:queues`;
}

/** Pub/sub channel of new queues (a worker without --agents starts serving one when it appears). */
export function queueAddedChannel(prefix: string): string {
  return `${prefix}:coditect:queue-added`;
}

/** Pub/sub channel of the coordinator's stops (cancel, timeout, shutdown) of jobs a worker runs. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:coditect:cancel`;
}

/** The task as its agent is told it, without the working directory (the worker's own checkout decides it). */
export type JobTaskInput = Omit<AgentTaskInput, 'cwd'>;

/** The data of one attempt's job. */
export interface AttemptJobData {
  v: typeof JOB_PROTOCOL;
  attemptId: number;
  taskId: string;
  attempt: number;
  agentType: string;
  /** The coordinator run that enqueued it (its lease owner). */
  owner: string;
  input: JobTaskInput;
  /** The engine-held Verify command the worker runs after the agent. */
  verify?: string;
  timeoutMs: number;
  killGraceMs: number;
  abandonAfterMs: number;
  /**
   * What the worker sends back of the files the attempt changes (`queue.results`); absent: nothing (they stay in the
   * worker's checkout). With it the worker runs the attempt in a fresh worktree of its checkout at `base`.
   */
  results?: JobResultsRequest;
}

/** The coordinator's request for an attempt's file changes. */
export type JobResultsRequest = { mode: 'patch'; base: string; remote?: string } | { mode: 'branch'; base: string; remote: string; branch: string };

/** The file changes of an attempt, as the worker reports them. */
export interface JobChanges {
  /** The commit the attempt's worktree started from. */
  base: string;
  /** The worker's commit of the changes (absent when nothing changed). */
  commit?: string;
  /** Paths changed against `base`. */
  files: string[];
  /** `git diff --binary base commit` (mode patch). */
  patch?: string;
  /** The branch pushed to `remote` at `commit` (mode branch). */
  branch?: string;
  remote?: string;
}

/** A stop the coordinator asks of the worker running a job. */
export interface CancelMessage {
  jobId: string;
  why: StopWhy;
  message: string;
}

const MAX_TEXT = 64 * 1024;
const MAX_OUTPUT = 256 * 1024;
const text = (max = MAX_TEXT) => z.string().max(max);
const count = z.number().int().min(0).max(1e12);
/** A full commit id (sha-1 or sha-256). */
const sha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'expected a full commit id');
/** A git remote name or URL; never something git would read as an option. */
const remoteName = z
  .string()
  .min(1)
  .max(1000)
  .refine((r) => !r.startsWith('-'), 'a remote, not an option');
/** A branch name as the coordinator makes it (`resultsBranchOf`). */
const branchName = z.string().regex(/^coditect\/results\/[A-Za-z0-9._-]{1,200}\/attempt-\d{1,15}$/, 'expected coditect/results/<task>/attempt-<id>');
/** The most patch text a job result carries (a larger change goes back as a branch: queue.results branch). */
export const MAX_PATCH = 8 * 1024 * 1024;

const taskInputSchema = z
  .object({
    id: text(200),
    title: text(),
    agentType: text(200),
    priority: z.enum(['P0', 'P1', 'P2', 'P3']).optional(),
    estimateHours: z.number().min(0).max(1e6).optional(),
    epic: z.object({ id: text(200), title: text() }).strict(),
    feature: z.object({ id: text(200), title: text() }).strict(),
    dependencies: z.array(z.object({ id: text(200), title: text(), resultSummary: text().optional() }).strict()).max(10_000),
    verify: text().optional(),
    attempt: z.number().int().min(1).max(1_000_000),
    relevantFiles: z.array(text(4096)).max(1000).optional(),
    resume: z
      .object({ sessionId: text(200), priorCostUsd: z.number().min(0).max(1e6).optional() })
      .strict()
      .optional(),
    previousError: text().optional(),
  })
  .strict();

/** The job data's schema (parseJobData; exported for the quick check's property test). */
export const jobDataSchema = z
  .object({
    v: z.literal(JOB_PROTOCOL),
    attemptId: z.number().int().min(0),
    taskId: text(200),
    attempt: z.number().int().min(1),
    agentType: text(200),
    owner: text(200),
    input: taskInputSchema,
    verify: text().optional(),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400_000),
    killGraceMs: z.number().int().min(0).max(600_000),
    abandonAfterMs: z.number().int().min(0).max(3_600_000),
    results: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('patch'), base: sha, remote: remoteName.optional() }).strict(),
        z.object({ mode: z.literal('branch'), base: sha, remote: remoteName, branch: branchName }).strict(),
      ])
      .optional(),
  })
  .strict();

/** Job data of the usual shape, checked without zod's parse (quickShape.ts: never more lenient than the schema). */
const jobDataQuick = quickCheckOf(jobDataSchema);

/** A job's data as the worker may run it, or why not (the job then fails with that reason). */
export function parseJobData(raw: unknown): { data: AttemptJobData } | { problem: string } {
  if (jobDataQuick(raw)) return { data: raw as AttemptJobData };
  const r = jobDataSchema.safeParse(raw);
  if (r.success) return { data: r.data as AttemptJobData };
  const v = (raw as { v?: unknown } | null)?.v;
  if (v !== JOB_PROTOCOL)
    return { problem: `job data of protocol ${JSON.stringify(v)}, this worker speaks ${JOB_PROTOCOL} (same coditect version on both sides?)` };
  const i = r.error.issues[0];
  return { problem: `malformed job data at ${i.path.join('.') || '(root)'}: ${i.message}` };
}

/** What a worker reports for one attempt: the executor's report without the coordinator's own fields. */
export interface JobResult extends Pick<
  AttemptReport,
  'ok' | 'refused' | 'failure' | 'errorKind' | 'result' | 'spent' | 'verifyOutput' | 'verifyExitCode' | 'leftovers'
> {
  v: typeof JOB_PROTOCOL;
  /** Set when the worker stopped the attempt itself: its timeout, or the worker shutting down. */
  stopped?: 'timeout' | 'shutdown' | 'cancel' | 'budget';
  /** Worker's own measure of the attempt (the coordinator's clock is the one recorded; this is shown). */
  durationMs: number;
  /** The worker that ran it (`host:pid`). */
  worker: string;
  /** The files the attempt changed, when the job asked for them (`AttemptJobData.results`). */
  changes?: JobChanges;
}

const FAILURE_KINDS = ['verify', 'budget', ...AGENT_ERROR_KINDS] as [AgentErrorKind | 'verify' | 'budget', ...(AgentErrorKind | 'verify' | 'budget')[]];
const spendShape = {
  tokensIn: count.optional(),
  tokensOut: count.optional(),
  cacheReadTokens: count.optional(),
  cacheWriteTokens: count.optional(),
  costUsd: z.number().min(0).max(1e6).optional(),
  costEstimated: z.boolean().optional(),
  sessionId: text(200).optional(),
  model: text(200).optional(),
};

/** The job result's schema (parseJobResult; exported for the quick check's property test). */
export const jobResultSchema = z
  .object({
    v: z.literal(JOB_PROTOCOL),
    ok: z.boolean(),
    stopped: z.enum(['timeout', 'shutdown', 'cancel', 'budget']).optional(),
    refused: z.boolean().optional(),
    failure: z
      .object({
        kind: z.enum(FAILURE_KINDS),
        message: text(),
        retryAfterMs: z
          .number()
          .int()
          .min(0)
          .max(30 * 86_400_000)
          .optional(),
        verifySignature: text(200).optional(),
      })
      .strict()
      .optional(),
    errorKind: text(40).optional(),
    result: z
      .object({
        summary: text(),
        exitCode: z.number().int().nullable().optional(),
        stdout: text(MAX_OUTPUT).optional(),
        stderr: text(MAX_OUTPUT).optional(),
        ...spendShape,
      })
      .strict()
      .optional(),
    spent: z.object(spendShape).strict().optional(),
    verifyOutput: text(MAX_OUTPUT).optional(),
    verifyExitCode: z.number().int().nullable().optional(),
    leftovers: z.array(text(1000)).max(100).optional(),
    durationMs: z.number().min(0).max(1e12),
    worker: text(300),
    changes: z
      .object({
        base: sha,
        commit: sha.optional(),
        files: z.array(text(4096)).max(100_000),
        patch: text(MAX_PATCH).optional(),
        branch: branchName.optional(),
        remote: remoteName.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A result of the usual shape, checked without zod's parse (quickShape.ts: never more lenient than the schema). */
const jobResultQuick = quickCheckOf(jobResultSchema);

/** A worker's result as the coordinator may record it, or why it is refused (the attempt then fails with that). */
export function parseJobResult(raw: unknown): { result: JobResult } | { problem: string } {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { problem: 'the worker returned a result that is not JSON' };
    }
  }
  let result: JobResult;
  if (jobResultQuick(value)) result = value as JobResult;
  else {
    const r = jobResultSchema.safeParse(value);
    if (!r.success) {
      const i = r.error.issues[0];
      return { problem: `the worker returned a malformed result (${i.path.join('.') || '(root)'}: ${i.message})` };
    }
    result = r.data as JobResult;
  }
  if (result.ok && result.failure) return { problem: 'the worker returned a result that is both ok and failed' };
  if (!result.ok && !result.failure) return { problem: 'the worker returned a failed result without its reason' };
  return { result };
}

/** The branch an attempt's changes are pushed to (mode branch): one per attempt, so a re-run replaces only its own. */
export function resultsBranchOf(taskId: string, attemptId: number): string {
  const safe =
    taskId
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[.-]+|\.+$|\.\.+|\.lock$/g, '_')
      .slice(0, 200) || 'task';
  return `coditect/results/${safe}/attempt-${attemptId}`;
}

/** The live output a worker reports as job progress: chunks in order, each stream named. */
export interface JobProgress {
  out: [stream: 'stdout' | 'stderr' | 'progress', chunk: string][];
}

const progressSchema = z.object({ out: z.array(z.tuple([z.enum(['stdout', 'stderr', 'progress']), text()])).max(1000) }).strict();

/** Progress data as the coordinator may show it, or undefined (ignored). */
export function parseJobProgress(raw: unknown): JobProgress | undefined {
  const r = progressSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** BullMQ's reason for a job whose worker was lost more times than `maxStalledCount` (or `maxStartedAttempts`) allows. */
export function isStalledFailure(reason: string): boolean {
  return /(stalled|started) more than allowable limit/i.test(reason);
}
