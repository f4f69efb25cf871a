// Helpers for orchestrator tests: a scripted agent driven by deferreds, a harness wiring an Orchestrator to a
// MemoryStore, and event waiters (no sleeps: tests wait for the event that proves the point).
import type { SandboxPolicy } from '../../../src/engine/agents/sandbox';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TaskList } from '../../../src/core/model';
import type { RemoteRunner } from '../../../src/engine/attemptLaunch';
import type { DatabaseHandle } from '../../../src/engine/db/database';
import { AgentError, abortError, type Agent, type AgentResult, type AgentRunContext, type AgentTaskInput } from '../../../src/engine/agents/agent';
import { parseConfig, type OrchestratorConfig } from '../../../src/engine/config';
import { Orchestrator } from '../../../src/engine/orchestrator';
import type { OrchestratorEvents } from '../../../src/engine/orchestratorEvents';
import type { TaskStorePort } from '../../../src/engine/ports';
import { createRedactor, secretEnvValues } from '../../../src/engine/redact';
import { deferred, type Deferred } from '../../fakes/agentTestKit';
import { MemoryStore } from './memoryStore';

/** One call of ScriptedAgent.run, controllable by the test. */
export interface Run {
  input: AgentTaskInput;
  ctx: AgentRunContext;
  result: Deferred<AgentResult>;
  /** Resolves the run with a summary. */
  finish(summary?: string): void;
  /** Rejects the run with an AgentError of `kind`. */
  fail(kind: AgentError['kind'], message?: string, retryAfterMs?: number): void;
  aborted: boolean;
}

/** What the scripted agent does on a call: hold (the test settles it), or settle at once. */
export type Script = (input: AgentTaskInput, run: Run) => 'hold' | AgentResult | AgentError;

/** An agent whose every run is a deferred the test settles (or a script settles), honouring the abort signal. */
export class ScriptedAgent implements Agent {
  readonly runs: Run[] = [];
  private waiters: { pred: (r: Run) => boolean; d: Deferred<Run> }[] = [];
  running = 0;
  maxRunning = 0;

  constructor(
    readonly name: string,
    readonly provider: string,
    private readonly script: Script = () => 'hold',
  ) {}

  run(input: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult> {
    const result = deferred<AgentResult>();
    const provider = this.provider;
    const run: Run = {
      input,
      ctx,
      result,
      aborted: false,
      finish: (summary = `done ${input.id}`) => result.resolve({ summary, exitCode: 0 }),
      fail: (kind, message = `${kind} failure`, retryAfterMs) => result.reject(new AgentError(message, kind, provider, retryAfterMs)),
    };
    this.runs.push(run);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const onAbort = (): void => {
      run.aborted = true;
      result.reject(abortError(ctx.signal, provider));
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    const out = this.script(input, run);
    if (out instanceof AgentError) result.reject(out);
    else if (out !== 'hold') result.resolve(out);
    for (const w of [...this.waiters]) {
      if (w.pred(run)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.d.resolve(run);
      }
    }
    return result.promise.finally(() => {
      this.running--;
      ctx.signal.removeEventListener('abort', onAbort);
    });
  }

  /** Resolves with the run of `taskId` (attempt `attempt` if given) once it has started. */
  started(taskId: string, attempt?: number): Promise<Run> {
    const pred = (r: Run) => r.input.id === taskId && (attempt === undefined || r.input.attempt === attempt);
    const found = this.runs.find(pred);
    if (found) return Promise.resolve(found);
    const d = deferred<Run>();
    this.waiters.push({ pred, d });
    return d.promise;
  }

  /** Ids of started runs, in order. */
  startedIds(): string[] {
    return this.runs.map((r) => r.input.id);
  }
}

/** Resolves with the first `event` payload matching `pred`. */
export function nextEvent<K extends keyof OrchestratorEvents>(
  orch: Orchestrator,
  event: K,
  pred: (p: OrchestratorEvents[K]) => boolean = () => true,
): Promise<OrchestratorEvents[K]> {
  return new Promise((resolve) => {
    const off = orch.on(event, (p) => {
      if (!pred(p)) return;
      off();
      resolve(p);
    });
  });
}

/** Collects every payload of `event`. */
export function collect<K extends keyof OrchestratorEvents>(orch: Orchestrator, event: K): OrchestratorEvents[K][] {
  const out: OrchestratorEvents[K][] = [];
  orch.on(event, (p) => out.push(p));
  return out;
}

export interface Harness {
  orch: Orchestrator;
  /** Lease owner and run id of the orchestrator (uniqueOwner unless given). */
  owner: string;
  store: MemoryStore;
  config: OrchestratorConfig;
  cwd: string;
  list: TaskList;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  /** Raw config (file shape, snake_case). */
  config?: Record<string, unknown>;
  /** Agent for every type, or per type. */
  agent?: Agent | ((agentType: string) => Agent);
  env?: Record<string, string | undefined>;
  store?: TaskStorePort;
  cwd?: string;
  owner?: string;
  abandonMarginMs?: number;
  /** The attempts' sandbox (default: the Orchestrator's, `defaultSandboxPolicy(cwd)`). */
  sandbox?(cwd: string): SandboxPolicy;
  /** Runs attempts elsewhere, as a coordinator of workers does (default: none, agents run here). */
  remote?: RemoteRunner;
}

/**
 * A lease owner (and run id) no other test process on the machine uses. The engine marks every process of an
 * attempt with `<run id>#<attempt id>` and, when the attempt ends, stops every process on the machine with that
 * mark (agents/orphans.ts); with a fixed owner and attempt ids from 1, two test runs at once (shared CI machines,
 * several worktrees) stopped each other's agents and Verify commands: a verify `exited on SIGTERM`, a timeout
 * recorded as failed. The engine's own owner is unique the same way (runtime.ts: host, pid, random).
 */
export function uniqueOwner(name: string): string {
  return `${name}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/** An Orchestrator over a MemoryStore holding `list`, with the plan set (not started). */
export function harness(list: TaskList, opts: HarnessOptions = {}): Harness {
  const cwd = opts.cwd ?? realpathSync(mkdtempSync(path.join(tmpdir(), 'coditect-orch-')));
  const store = (opts.store as MemoryStore | undefined) ?? MemoryStore.fromList(list);
  const env = opts.env ?? { PATH: process.env.PATH };
  const config = parseConfig({ default_agent: 'dry-run', ...opts.config }, 'test config', { env: {} });
  const owner = opts.owner ?? uniqueOwner('engine-test');
  const fallback = new ScriptedAgent('scripted', 'scripted', () => ({ summary: 'ok', exitCode: 0 }));
  const agentFor = typeof opts.agent === 'function' ? opts.agent : () => (opts.agent as Agent | undefined) ?? fallback;
  const orch = new Orchestrator({
    store,
    config,
    agentFor,
    owner,
    cwd,
    env,
    redact: createRedactor(secretEnvValues(env)),
    abandonMarginMs: opts.abandonMarginMs,
    sandbox: opts.sandbox,
    remote: opts.remote,
  });
  orch.setPlan(list);
  return {
    orch,
    owner,
    store,
    config,
    cwd,
    list,
    async cleanup() {
      await orch.close();
      if (!opts.cwd) rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** What one test opened over a real database in its own directory (engineDir), closed after it. */
export interface EngineDir {
  /** A fresh real directory (realpath: what the engine compares paths against). */
  dir: string;
  handle?: DatabaseHandle;
  orch?: Orchestrator;
  /** Undoes a listener the test attached to `orch` (SpendControl.attach), before it closes. */
  detach?: () => void;
}

/**
 * Mocha hooks for suites that build an orchestrator over a real database per test: a fresh directory before each
 * test; after it, the listener detached, the orchestrator and the database closed, the directory removed.
 */
export function engineDir(prefix: string): EngineDir {
  const d: EngineDir = { dir: '' };
  beforeEach(() => {
    d.dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  });
  afterEach(async () => {
    d.detach?.();
    d.detach = undefined;
    await d.orch?.close();
    d.orch = undefined;
    d.handle?.close();
    d.handle = undefined;
    rmSync(d.dir, { recursive: true, force: true });
  });
  return d;
}

/** Inserts the plan's rows into a real database as sync would (the minimum columns the schema needs). */
export function insertPlan(handle: DatabaseHandle, list: TaskList): void {
  const now = new Date().toISOString();
  const db = handle.db;
  db.transaction(() => {
    for (const e of list.epics) db.prepare('INSERT INTO v2_epics (epic_id, title, created_at, updated_at) VALUES (?, ?, ?, ?)').run(e.id, e.title, now, now);
    for (const f of list.features)
      db.prepare('INSERT INTO v2_features (feature_id, epic_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(f.id, f.epicId, f.title, now, now);
    for (const t of list.tasks) {
      db.prepare(
        'INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, status, synced_status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(t.id, t.epicId, t.featureId, t.title, t.status, t.status, now, now);
    }
  })();
}
