// Command-line parsing for `coditect`. Bad usage is reported with the offending argument and exit code 2.
import { parseArgs } from 'node:util';
import { errorMessage } from '../../core/describe';
import { SPEND_GROUPINGS, type SpendGrouping } from '../../protocol/spend';
import { GATE_NOTE_MAX } from '../../protocol/gates';

export const COMMANDS = [
  'validate',
  'sync',
  'status',
  'next',
  'graph',
  'export',
  'ids',
  'cost',
  'backup',
  'restore',
  'reconcile',
  'run',
  'daemon',
  'cancel',
  'approve',
  'reject',
  'start',
  'pause',
  'resume',
  'stop',
  'review',
  'worker',
  'help',
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** `coditect review <action>`: the verdicts on task branches (docs/isolation.md, "Review"). */
export const REVIEW_ACTIONS = ['list', 'show', 'accept', 'reject', 'retry', 'resolve'] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];

export interface CliOptions {
  command: CommandName;
  /** Positional arguments after the command (the task list, or `start|stop|status` for daemon). */
  positionals: string[];
  db?: string;
  json: boolean;
  agent?: string;
  concurrency?: number;
  config?: string;
  out?: string;
  profile?: string;
  watch: boolean;
  /** ids: write the ids into the task list (otherwise only list them). */
  write: boolean;
  /** daemon start: run in this process, logging to stderr (for systemd). */
  foreground: boolean;
  /** cost: how attempts are grouped. */
  by?: SpendGrouping;
  metricsPort?: number;
  /** daemon start: serve the HTTP API and web dashboard on this loopback HOST:PORT. */
  http?: string;
  /** review: the action, and the task it acts on (all but `list`). */
  review?: { action: ReviewAction; taskId?: string };
  /** review reject|retry: the person's note for the next attempt's prompt; approve/reject (gates): the note kept with the decision. */
  note?: string;
  /** restore: the backup to put back (a path, or `latest`). */
  from?: string;
  /** reconcile: task ids (comma-separated, or `all`) whose markdown status wins. */
  useMarkdown?: string[];
  /** reconcile: task ids (comma-separated, or `all`) whose database status wins. */
  useDb?: string[];
  /** worker: the Redis the coordinator enqueues on. */
  redis?: string;
  /** worker: the agent types it serves (default: every one the coordinator uses). */
  agents?: string[];
}

/** A usage error: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: coditect <command> <tasklist.md> [options]

Commands:
  validate <tasklist.md>        parse and check the task list (exit 1 when it has errors)
  sync <tasklist.md>            two-way sync of the task list with context.db [--watch]
  status <tasklist.md>          counts by status, running tasks, breakers
  next <tasklist.md>            ready tasks in dispatch order, with the routing decision for each
  graph <tasklist.md>           dependency graph: nodes and edges with their source
  export <tasklist.md>          write v2-work-items.json [--out FILE]
  ids <tasklist.md>             the ids of tasks written without one (kept in context.db) [--write: write them into the list]
  backup <tasklist.md>          a consistent copy of context.db, also while an engine runs [--out FILE]
  reconcile <tasklist.md>       markdown vs database, task by task, with checksums (reads only);
                                --use-markdown IDS / --use-db IDS: choose the side of those tasks' status
  restore <tasklist.md>         list the backups; --from FILE|latest puts one back (only while no engine runs)
  cost <tasklist.md>            what the attempts cost, summed [--by epic|feature|task|agent|model|provider|day|run]
  run <tasklist.md>             run the plan in the foreground until nothing more can start
  daemon start|stop|status <tasklist.md>   run the engine in the background (pid file, rotating log)
  cancel <tasklist.md> <task-id>           cancel a task (through the daemon when one runs)
  approve <tasklist.md> <task-id>          approve a gate waiting for a person [--note TEXT]
  reject <tasklist.md> <task-id> --note TEXT   reject a gate (a Gate: review task runs again with the note)
  start|pause|resume|stop <tasklist.md>    control a running engine (stop: no new tasks, running ones get the grace)
  review list [<tasklist.md>]              task branches waiting for a person (isolation: worktree)
  review show|accept|reject|retry|resolve [<tasklist.md>] <task-id>
                                the branch's files and diff | land it through the merge queue (checks run) |
                                drop its worktree, keep the branch, run the task again | run again in its worktree |
                                after a conflict: rebuild it on the integration branch, an agent resolves the markers
  worker --redis URL [--agents A,B] [--concurrency N]
                                run the attempts a coordinator (queue.kind redis) enqueues, in this checkout
                                with this machine's agents and keys, until SIGTERM (docs/server.md#workers)

Options:
  --db PATH            database file (default: .coditect/context.db beside the workspace root)
  --json               machine-readable output (documented in docs/cli.md)
  --agent NAME         run: agent for every task (e.g. dry-run, anthropic, claude-code)
  --concurrency N      run: maximum concurrent agents; worker: jobs at once per agent type (default 1)
  --redis URL          worker: redis://[:password@]host:port[/db] (default: the config's queue.url, REDIS_HOST)
  --agents A,B         worker: only these agent types (default: every type the coordinator enqueues)
  --config FILE        orchestrator config file (default: .coditect/config.json if present)
  --profile NAME       config profile (dev, staging, prod)
  --out FILE           export: output file (default: v2-work-items.json beside the task list);
                       backup: the copy's path (default: <db folder>/backups/context-<time>-manual.db)
  --use-markdown IDS   reconcile: these tasks keep the markdown's status (comma-separated, or all)
  --use-db IDS         reconcile: these tasks keep the database's status, written into the markdown
  --from FILE|latest   restore: the backup to put back (latest: the newest in <db folder>/backups)
  --metrics-port N     serve Prometheus metrics on 127.0.0.1:N (0 = off)
  --watch              sync: keep syncing on every change until interrupted
  --write              ids: write the ids into the lines of unfinished tasks that have none
  --foreground         daemon start: stay in the foreground and log to stderr (systemd)
  --http HOST:PORT     daemon start: serve the HTTP API and web dashboard on loopback, e.g. 127.0.0.1:8787
                       (token in .coditect/http-token; docs/server.md)
  --by GROUP           cost: epic (default), feature, task, agent, model, provider, day or run
  --note TEXT          review reject|retry|resolve: a note for the task's next attempt (it goes into the prompt);
                       approve/reject: why (kept in the audit trail; at most 4000 characters)

<tasklist.md> may be left out when the config names it (sync_daemon.markdown_path): --config FILE, else
.coditect/config.json, .coditect/orchestrator-config.json or config/orchestrator-config.json here.

Exit codes: 0 success, 1 the task list has errors / tasks failed or blocked, 2 bad usage.`;

/** Parses argv (without node and script); throws UsageError naming the bad argument. */
export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
        agent: { type: 'string' },
        concurrency: { type: 'string' },
        config: { type: 'string' },
        out: { type: 'string' },
        profile: { type: 'string' },
        watch: { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        foreground: { type: 'boolean', default: false },
        by: { type: 'string' },
        'metrics-port': { type: 'string' },
        http: { type: 'string' },
        note: { type: 'string' },
        from: { type: 'string' },
        'use-markdown': { type: 'string', multiple: true },
        'use-db': { type: 'string', multiple: true },
        redis: { type: 'string' },
        agents: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { command: 'help', positionals: [], json: false, watch: false, write: false, foreground: false };
  const [command, ...rest] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command '${command}'`);
  const cmd = command as CommandName;
  if (cmd === 'daemon' && !['start', 'stop', 'status'].includes(rest[0] ?? '')) {
    throw new UsageError(`daemon needs start, stop or status, got '${rest[0] ?? ''}'`);
  }
  // Without a task list, the config's sync_daemon.markdown_path names it (cli.ts, planTargets); cancel's second
  // positional is a task id, so it always needs both.
  if (cmd === 'cancel' && !rest[1]) throw new UsageError('cancel needs a task list and a task id (coditect cancel TASKLIST.md T001)');
  let review: CliOptions['review'];
  let positionalsOut = rest;
  if (cmd === 'review') {
    const action = rest[0] ?? '';
    if (!(REVIEW_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`review needs one of ${REVIEW_ACTIONS.join(', ')}, got '${action}'`);
    const args = rest.slice(1);
    if (action === 'list') {
      if (args.length > 1) throw new UsageError(`review list takes at most a task list, got '${args.join(' ')}'`);
      review = { action: 'list' };
      positionalsOut = args;
    } else {
      // `review show T001` (the config names the task list) or `review show PLAN.md T001`.
      if (args.length < 1 || args.length > 2) throw new UsageError(`review ${action} needs a task id (coditect review ${action} [TASKLIST.md] T001)`);
      review = { action: action as ReviewAction, taskId: args[args.length - 1] };
      positionalsOut = args.slice(0, -1);
    }
  }
  if (
    values.note !== undefined &&
    cmd !== 'approve' &&
    cmd !== 'reject' &&
    !(review && (review.action === 'reject' || review.action === 'retry' || review.action === 'resolve'))
  )
    throw new UsageError('--note goes with approve, reject, review reject, review retry or review resolve');
  if ((cmd === 'approve' || cmd === 'reject') && !rest[1])
    throw new UsageError(`${cmd} needs a task list and the gate's task id (coditect ${cmd} TASKLIST.md T001)`);
  if (cmd === 'reject' && !values.note?.trim()) throw new UsageError('reject needs --note TEXT: say what to change (it goes into the next prompt)');
  if (values.note !== undefined && values.note.length > GATE_NOTE_MAX)
    throw new UsageError(`--note is ${values.note.length} characters; at most ${GATE_NOTE_MAX}`);
  if ((values.redis !== undefined || values.agents !== undefined) && cmd !== 'worker') throw new UsageError('--redis and --agents go with worker');
  let agents: string[] | undefined;
  if (values.agents !== undefined) {
    agents = values.agents.split(',').map((a) => a.trim());
    const bad = agents.find((a) => !/^[A-Za-z0-9_.-]{1,100}$/.test(a));
    if (bad !== undefined)
      throw new UsageError(`--agents expects agent types separated by commas (letters, digits, "_", "." or "-"), got ${JSON.stringify(bad)}`);
  }
  if (values.by !== undefined && !(SPEND_GROUPINGS as readonly string[]).includes(values.by))
    throw new UsageError(`--by expects one of ${SPEND_GROUPINGS.join(', ')}, got '${values.by}'`);
  return {
    command: cmd,
    positionals: positionalsOut,
    db: values.db,
    json: values.json ?? false,
    agent: values.agent,
    concurrency: positiveInt('--concurrency', values.concurrency),
    config: values.config,
    out: values.out,
    profile: values.profile,
    watch: values.watch ?? false,
    write: values.write ?? false,
    foreground: values.foreground ?? false,
    by: values.by as SpendGrouping | undefined,
    metricsPort: nonNegativeInt('--metrics-port', values['metrics-port']),
    http: values.http,
    review,
    note: values.note,
    from: values.from,
    useMarkdown: values['use-markdown'],
    useDb: values['use-db'],
    redis: values.redis,
    agents,
  };
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer, got '${v}'`);
  return n;
}

function nonNegativeInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} expects a port number 0-65535, got '${v}'`);
  return n;
}
