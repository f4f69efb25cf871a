// The daemon's HTTP API, declared once: every route with its method, path, whether it needs the token, what its body
// may hold and what it answers. The server (src/engine/http) dispatches from this table, the web dashboard's host
// adapter (webview-ui/webHost.ts) calls it, and docs/server.md lists it. Each command route does exactly what the
// engine protocol request of the same name does (`rpc`), so HTTP, the control socket and the editor never differ.
// The webview bundle imports this file: types, plain data and small guards only.
import type {
  AcceptReviewResult,
  AttemptView,
  ControlResult,
  EngineNotifications,
  ListReviewsResult,
  RejectReviewResult,
  ResolveConflictsResult,
  RunTaskResult,
  ShowReviewResult,
} from './engineProtocol';
import type { TaskStatus } from '../core/model';
import type { ActiveAgentView, BreakerState, MetricsView, OrchestrationState, PlanCounts, TaskView } from './views';
import type { SpendView } from './spend';
import type { DashboardCommand, MetricsChangedParams } from './webviewProtocol';

/** Header carrying the token: `Authorization: Bearer <token>`. */
export const AUTH_SCHEME = 'Bearer';
/** Largest request body accepted, in bytes (commands take at most `{ "agent": "…" }`); larger is 413. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Name of the token file in the engine's state folder (`.coditect/`), mode 0600. */
export const HTTP_TOKEN_FILE = 'http-token';
/** URL fragment key the web dashboard reads its token from (`http://127.0.0.1:8787/#token=…`); a fragment never reaches a server or its logs. */
export const TOKEN_FRAGMENT_KEY = 'token';

/** `GET /api/status`: the plan's fields (snake_case, as its FastAPI sketch returns them), then the project's. */
export interface StatusResponse {
  total_tasks: number;
  completed: number;
  in_progress: number;
  pending: number;
  /** Seconds since the engine started. */
  uptime: number;
  tasklist: string;
  state: OrchestrationState;
  simulated: boolean;
  readOnly: boolean;
  counts: PlanCounts;
  active: ActiveAgentView[];
  breakers: Record<string, BreakerState>;
  metrics: MetricsView;
  spend?: SpendView;
  engine: { pid: number; version: string };
}

/** `GET /api/tasks/:id`: the task, every attempt (newest first) and the tail of the newest attempt's output. */
export interface TaskDetailResponse {
  task: TaskView;
  attempts: AttemptView[];
  /** Last lines of the newest attempt's stdout and stderr (already redacted when they were recorded). */
  logTail: string;
}

/** Body of `POST /api/tasks/:id/run`. */
export interface RunTaskBody {
  /** Agent to use instead of the routed one. */
  agent?: string;
}

/** Body of `POST /api/reviews/:id/reject` and `…/retry`. */
export interface ReviewNoteBody {
  /** The person's note: it goes into the task's next prompt. */
  note?: string;
}
/** Longest review note accepted, in characters. */
export const MAX_NOTE_CHARS = 4000;

/** Every route: its params (from the path), its body and its answer. */
export interface HttpRoutes {
  status: { params: Record<string, never>; body: undefined; result: StatusResponse };
  tasks: { params: Record<string, never>; body: undefined; result: { tasks: TaskView[]; counts: PlanCounts } };
  task: { params: { id: string }; body: undefined; result: TaskDetailResponse };
  events: { params: Record<string, never>; body: undefined; result: never };
  start: { params: Record<string, never>; body: Record<string, never>; result: ControlResult };
  pause: { params: Record<string, never>; body: Record<string, never>; result: ControlResult };
  resume: { params: Record<string, never>; body: Record<string, never>; result: ControlResult };
  stop: { params: Record<string, never>; body: Record<string, never>; result: ControlResult };
  runTask: { params: { id: string }; body: RunTaskBody; result: RunTaskResult };
  retryTask: { params: { id: string }; body: Record<string, never>; result: { reset: boolean } };
  cancelTask: { params: { id: string }; body: Record<string, never>; result: { cancelled: boolean } };
  reviews: { params: Record<string, never>; body: undefined; result: ListReviewsResult };
  review: { params: { id: string }; body: undefined; result: ShowReviewResult };
  acceptReview: { params: { id: string }; body: Record<string, never>; result: AcceptReviewResult };
  rejectReview: { params: { id: string }; body: ReviewNoteBody; result: RejectReviewResult };
  retryReview: { params: { id: string }; body: ReviewNoteBody; result: { status: TaskStatus } };
  resolveConflicts: { params: { id: string }; body: ReviewNoteBody; result: ResolveConflictsResult };
}
export type HttpRouteName = keyof HttpRoutes;

/** Body shapes a route takes: none (GET), an empty object, the run options, or a review note. */
export type BodyKind = 'none' | 'empty' | 'runTask' | 'note';

export interface HttpRouteDescriptor {
  method: 'GET' | 'POST';
  /** Path with `:id` for a task id. */
  path: string;
  body: BodyKind;
  /** The engine protocol request it equals (docs and the reader's bearings). */
  rpc?: string;
  /** One line for docs/server.md. */
  summary: string;
}

/**
 * The routes. Every `/api` route needs the token (`Authorization: Bearer`); only the dashboard page and its static
 * files (and /healthz) are served without it, and they carry no plan data.
 */
export const HTTP_ROUTES: { readonly [K in HttpRouteName]: HttpRouteDescriptor } = {
  status: { method: 'GET', path: '/api/status', body: 'none', rpc: 'coditect/snapshot', summary: 'counts, state, metrics, breakers, spend' },
  tasks: { method: 'GET', path: '/api/tasks', body: 'none', rpc: 'coditect/snapshot', summary: 'every task as the UI shows it, with the counts' },
  task: {
    method: 'GET',
    path: '/api/tasks/:id',
    body: 'none',
    rpc: 'coditect/taskLog',
    summary: 'one task, its attempts (cost, tokens, outcome) and its log tail',
  },
  events: {
    method: 'GET',
    path: '/api/events',
    body: 'none',
    summary: 'Server-Sent Events: `plan:changed` (the whole plan) first, then the increments the editor gets',
  },
  start: { method: 'POST', path: '/api/control/start', body: 'empty', rpc: 'coditect/start', summary: 'start dispatching ready tasks' },
  pause: { method: 'POST', path: '/api/control/pause', body: 'empty', rpc: 'coditect/pause', summary: 'start no new task; running ones go on' },
  resume: { method: 'POST', path: '/api/control/resume', body: 'empty', rpc: 'coditect/resume', summary: 'dispatch again after a pause' },
  stop: {
    method: 'POST',
    path: '/api/control/stop',
    body: 'empty',
    rpc: 'coditect/stop',
    summary: 'stop dispatching; running tasks get the grace, then go back to pending',
  },
  runTask: { method: 'POST', path: '/api/tasks/:id/run', body: 'runTask', rpc: 'coditect/runTask', summary: 'run one task now (`{"agent": "…"}` optional)' },
  retryTask: {
    method: 'POST',
    path: '/api/tasks/:id/retry',
    body: 'empty',
    rpc: 'coditect/retryTask',
    summary: 'reset a failed, timed-out or cancelled task to pending',
  },
  cancelTask: { method: 'POST', path: '/api/tasks/:id/cancel', body: 'empty', rpc: 'coditect/cancelTask', summary: 'cancel a running task (kills its agent)' },
  reviews: {
    method: 'GET',
    path: '/api/reviews',
    body: 'none',
    rpc: 'coditect/reviewList',
    summary: 'task branches waiting for a person (docs/isolation.md#review): state, why, files with their counts',
  },
  review: { method: 'GET', path: '/api/reviews/:id', body: 'none', rpc: 'coditect/reviewShow', summary: 'one waiting branch with its unified diff' },
  acceptReview: {
    method: 'POST',
    path: '/api/reviews/:id/accept',
    body: 'empty',
    rpc: 'coditect/reviewAccept',
    summary: 'land the branch through the merge queue (checks on the merged result); `merged`, `needs_review` or `waiting`',
  },
  rejectReview: {
    method: 'POST',
    path: '/api/reviews/:id/reject',
    body: 'note',
    rpc: 'coditect/reviewReject',
    summary: 'set the branch aside, the task back to pending (`{"note": "…"}` optional: it goes into the next prompt)',
  },
  retryReview: {
    method: 'POST',
    path: '/api/reviews/:id/retry',
    body: 'note',
    rpc: 'coditect/reviewRetry',
    summary: 'the task back to pending, its next attempt in the same worktree (`{"note": "…"}`)',
  },
  resolveConflicts: {
    method: 'POST',
    path: '/api/reviews/:id/resolve',
    body: 'note',
    rpc: 'coditect/reviewResolve',
    summary:
      'a conflicted branch rebuilt on the integration branch with conflict markers; the task back to pending so an agent resolves them (`{"note": "…"}` optional)',
  },
};

export const HTTP_ROUTE_NAMES = Object.keys(HTTP_ROUTES) as HttpRouteName[];

/** The path of a route with its `:id` filled in (encoded). */
export function routePath(name: HttpRouteName, id?: string): string {
  const p = HTTP_ROUTES[name].path;
  if (!p.includes(':id')) return p;
  if (id === undefined || id === '') throw new RangeError(`route ${name} needs a task id`);
  return p.replace(':id', encodeURIComponent(id));
}

/** Matches a method and pathname against the table; `methodAllowed` false means the path exists with another method (405). */
export function matchRoute(method: string, pathname: string): { name: HttpRouteName; id?: string } | { name?: undefined; pathExists: boolean } {
  const segs = pathname.split('/');
  let pathExists = false;
  for (const name of HTTP_ROUTE_NAMES) {
    const want = HTTP_ROUTES[name].path.split('/');
    if (want.length !== segs.length) continue;
    let id: string | undefined;
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i] === ':id') {
        try {
          id = decodeURIComponent(segs[i]);
        } catch {
          ok = false;
        }
        ok &&= id !== undefined && isTaskId(id);
      } else ok = want[i] === segs[i];
    }
    if (!ok) continue;
    if (HTTP_ROUTES[name].method !== method) {
      pathExists = true;
      continue;
    }
    return id === undefined ? { name } : { name, id };
  }
  return { pathExists };
}

/** A task id as routes take it: non-empty, bounded, printable. */
export function isTaskId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length < 200 && [...v].every((c) => c.charCodeAt(0) >= 0x20);
}

/** Validates a parsed JSON body for its kind; returns the problem, or undefined when it is fine. */
export function bodyProblem(kind: BodyKind, body: unknown): string | undefined {
  if (kind === 'none') return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const keys = Object.keys(body);
  const allowed = kind === 'runTask' ? ['agent'] : kind === 'note' ? ['note'] : [];
  const extra = keys.filter((k) => !allowed.includes(k));
  if (extra.length)
    return `unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (this route takes {})'}`;
  const agent = (body as RunTaskBody).agent;
  if (agent !== undefined && (typeof agent !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(agent)))
    return `"agent" must be an agent name (letters, digits, _ . : -), got ${JSON.stringify(agent).slice(0, 80)}`;
  const note = (body as ReviewNoteBody).note;
  if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE_CHARS))
    return `"note" must be text of at most ${MAX_NOTE_CHARS} characters, got ${typeof note === 'string' ? `${note.length} characters` : JSON.stringify(note).slice(0, 80)}`;
  return undefined;
}

/** Events on `GET /api/events`: the engine's notifications under their own names, and the dashboard's metrics refresh. */
export type ServerEvents = EngineNotifications & { 'metrics:changed': MetricsChangedParams };
export type ServerEventName = keyof ServerEvents;

/**
 * `/ws/progress` (the plan's name): the same events as `GET /api/events`, over a WebSocket, one text frame each:
 * `{"event": <ServerEventName>, "data": <its payload>}` — the whole plan first (`plan:changed`), then the increments.
 * The socket only speaks; what a client sends is ignored (commands are the POST routes). The token goes in
 * `Authorization: Bearer <token>`, or, for a browser (which cannot set that header on a WebSocket), as a second
 * subprotocol: `new WebSocket(url, [PROGRESS_PROTOCOL, PROGRESS_TOKEN_PROTOCOL_PREFIX + token])`; the server answers
 * PROGRESS_PROTOCOL and never echoes the token.
 */
export const PROGRESS_SOCKET_PATH = '/ws/progress';
export const PROGRESS_TOKEN_PROTOCOL_PREFIX = 'coditect.bearer.';
/** The subprotocol the server answers with when a client offers it (the token subprotocol is never echoed). */
export const PROGRESS_PROTOCOL = 'coditect.progress.v1';
/** One frame of `/ws/progress`. */
export interface ProgressFrame<K extends ServerEventName = ServerEventName> {
  event: K;
  data: ServerEvents[K];
}

/**
 * What the web dashboard's buttons call: each dashboard command that acts on the engine maps to its route. Reveal and
 * the log view belong to the editor and have no route.
 */
export const WEB_COMMAND_ROUTES: Partial<Record<DashboardCommand, HttpRouteName>> = {
  'coditect.start': 'start',
  'coditect.pause': 'pause',
  'coditect.resume': 'resume',
  'coditect.stop': 'stop',
  'coditect.runTaskWithAgent': 'runTask',
  'coditect.retryTask': 'retryTask',
  'coditect.cancelTask': 'cancelTask',
};

/** An error answer: always `{ error }` with a sentence naming the problem. */
export interface ErrorResponse {
  error: string;
}
