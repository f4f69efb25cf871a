// The dashboard's host adapter in a plain browser, for the page the daemon serves (docs/server.md). The page
// (main.ts) is the editor's webview page, unchanged: it calls acquireVsCodeApi() and listens for `message` events.
// This script, loaded before it, provides both over HTTP: `webview:ready` opens the event stream (whose first event
// is the whole plan, then the increments), `command:run` posts to the command's route. Token: from the URL fragment
// (`#token=…`, never sent to a server), kept in sessionStorage for the tab.
import { AUTH_SCHEME, routePath, TOKEN_FRAGMENT_KEY, WEB_COMMAND_ROUTES, type ErrorResponse } from '../src/protocol/httpApi';
import type { ListReviewsResult } from '../src/protocol/engineProtocol';
import { reviewsMayHaveChanged } from '../src/protocol/reviews';
import { latestOnly } from '../src/core/latestOnly';
import { isToWebview, type FromWebview, type NoticeLevel, type ToWebview } from '../src/protocol/webviewProtocol';

const TOKEN_KEY = 'coditect.token';
const UI_STATE_KEY = 'coditect.uiState';
const MAX_RECONNECT_MS = 15_000;

/** The token: a fragment `#token=…` wins (and leaves the address bar), else the one this tab kept. */
function token(): string | undefined {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get(TOKEN_FRAGMENT_KEY);
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Hands a message to the page exactly as VS Code does: a MessageEvent on the window. */
const deliver = (m: ToWebview): void => void window.dispatchEvent(new MessageEvent('message', { data: m }));
const notice = (level: NoticeLevel, message: string): void => deliver({ type: 'notice:shown', params: { level, message } });
const NEEDS_TOKEN = `This dashboard needs the daemon's token: open it as ${location.origin}/#${TOKEN_FRAGMENT_KEY}=<contents of .coditect/http-token>.`;

let stream: AbortController | undefined;

/** Tasks with a branch waiting for review, as last fetched: the editor's ReviewStore rule decides when to ask again. */
let reviewed = new Set<string>();

/**
 * Asks the daemon for the branches waiting for review and hands them to the page; calls during one fold into one more
 * (src/core/latestOnly.ts, as the editor's ReviewStore). A daemon that does not answer ends the run and what was
 * folded into it: the next snapshot asks again.
 */
const askReviews = latestOnly(async () => {
  const t = token();
  if (!t) return;
  const res = await fetch(routePath('reviews'), { headers: { authorization: `${AUTH_SCHEME} ${t}` }, cache: 'no-store' });
  // The stream's own reconnect says what is wrong with the daemon.
  if (!res.ok) throw new Error(`reviews: HTTP ${res.status}`);
  const { reviews } = (await res.json()) as ListReviewsResult;
  reviewed = new Set(reviews.map((r) => r.taskId));
  deliver({ type: 'reviews:changed', params: { reviews } });
});

function refreshReviews(): Promise<void> {
  // The daemon went away: the next snapshot asks again.
  return askReviews().catch(() => undefined);
}

/** After a stream event: a new plan, or tasks entering or leaving `blocked`, may have changed the review list. */
function afterEvent(m: ToWebview): void {
  if (m.type === 'plan:changed') void refreshReviews();
  else if ((m.type === 'tasks:changed' || m.type === 'plan:patched') && reviewsMayHaveChanged(m.params.tasks, m.params.removed, (id) => reviewed.has(id)))
    void refreshReviews();
}

/** (Re)opens the event stream; reconnects with back-off while the page lives. Each connection starts with a full snapshot. */
async function openStream(): Promise<void> {
  stream?.abort();
  const ctl = new AbortController();
  stream = ctl;
  const t = token();
  if (!t) return notice('error', NEEDS_TOKEN);
  let delay = 500;
  while (!ctl.signal.aborted) {
    try {
      const res = await fetch(routePath('events'), { headers: { authorization: `${AUTH_SCHEME} ${t}` }, signal: ctl.signal, cache: 'no-store' });
      if (res.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        return notice('error', `The daemon refused the token. ${NEEDS_TOKEN}`);
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      delay = 500;
      await readEvents(res.body, ctl.signal);
    } catch {
      // The daemon stopped or restarted: say so and try again; the next snapshot clears the notice.
    }
    if (ctl.signal.aborted) return;
    notice('error', 'Lost the connection to the engine; reconnecting…');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, MAX_RECONNECT_MS);
  }
}

/** Parses Server-Sent Events (`event:` + one `data:` line each) and delivers them until the stream ends. */
async function readEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = '';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      // The page checks every message (isToWebview) and drops what it does not know.
      if (!type || !data) continue;
      const m = { type, params: JSON.parse(data) as unknown } as ToWebview;
      deliver(m);
      if (isToWebview(m)) afterEvent(m);
    }
  }
}

/** Runs a page command on its route and tells the person when it did nothing, and why. */
async function runCommand(m: Extract<FromWebview, { type: 'command:run' }>): Promise<void> {
  const route = WEB_COMMAND_ROUTES[m.params.command];
  if (!route) {
    return notice(
      'info',
      m.params.command === 'coditect.reviewChanges'
        ? `The diff opens in the editor ("Review Changes"), or in a terminal: coditect review show ${m.params.taskId}.`
        : 'Reveal and the task log open in the editor; here, the task list shows the task.',
    );
  }
  const t = token();
  if (!t) return notice('error', NEEDS_TOKEN);
  try {
    const res = await fetch(routePath(route, m.params.taskId), {
      method: 'POST',
      headers: { authorization: `${AUTH_SCHEME} ${t}`, 'content-type': 'application/json' },
      body: '{}',
      cache: 'no-store',
    });
    const answer = (await res.json()) as Partial<ErrorResponse> & { message?: string; reason?: string; started?: boolean };
    if (!res.ok) return notice('error', answer.error ?? `HTTP ${res.status}`);
    if (answer.started === false && answer.reason) notice('warning', answer.reason);
    else if (answer.message) notice('info', answer.message);
  } catch (e) {
    notice('error', `Could not reach the engine: ${e instanceof Error ? e.message : String(e)}`);
  }
}

(window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
  postMessage(m: FromWebview): void {
    if (m.type === 'webview:ready') void openStream();
    else if (m.type === 'command:run') void runCommand(m);
  },
  getState: (): unknown => JSON.parse(sessionStorage.getItem(UI_STATE_KEY) ?? 'null') ?? undefined,
  setState: (s: unknown): void => sessionStorage.setItem(UI_STATE_KEY, JSON.stringify(s)),
});
// The page styles itself by the editor's theme class; the browser's preference picks it here.
document.body.classList.add(matchMedia('(prefers-color-scheme: light)').matches ? 'vscode-light' : 'vscode-dark');
