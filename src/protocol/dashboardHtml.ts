// The dashboard page skeleton and its Content Security Policy. Used by the extension (dashboardPanel.ts), by the
// daemon's web server (src/engine/http) and by the browser tests, so all load exactly the same page; only the host
// adapter differs (the daemon adds webHost.js, which talks HTTP where the webview talks postMessage). Pure strings.

export interface DashboardHtmlOptions {
  /** `webview.cspSource`: the origin allowed to serve the script, the style sheet and images. */
  cspSource: string;
  /** Fresh per page load; only scripts carrying it run. Base64 or hex, at least 16 characters. */
  nonce: string;
  /** URI of dist/webview/main.js as the webview sees it (unused with `inline`). */
  scriptUri: string;
  /** URI of media/dashboard.css as the webview sees it (unused with `inline`). */
  styleUri: string;
  /**
   * The script's and the style sheet's text, carried in the page itself instead of loaded from the URIs (the editor's
   * webview: each load there goes through the webview's service worker and the workbench's main thread, busy as the
   * editor splits for the panel, before the page's script may run). Both carry the nonce; the policy allows the style by
   * it too. Neither may contain a closing tag or a comment opener of the HTML it sits in (refused: it would end or
   * escape its element).
   */
  inline?: { script: string; style: string };
  /** A host adapter loaded before the page's script (the daemon's webHost.js, which provides acquireVsCodeApi over HTTP). */
  hostScriptUri?: string;
  /** A theme sheet loaded before the page's (the daemon's web-theme.css: the variables VS Code injects into a webview). */
  themeStyleUri?: string;
  /** Sources the page may fetch from (`connect-src`); absent: none, as in the editor's webview. */
  connectSource?: string;
}

const NONCE_RE = /^[A-Za-z0-9+/=_-]{16,}$/;

/**
 * The policy: nothing by default; scripts only with the nonce; styles and images only from the extension (and, with
 * `inlineStyle`, the style element carrying the nonce).
 */
export function dashboardCsp(cspSource: string, nonce: string, connectSource?: string, inlineStyle = false): string {
  const styles = inlineStyle ? `style-src ${cspSource} 'nonce-${nonce}'` : `style-src ${cspSource}`;
  const directives = ["default-src 'none'", `script-src 'nonce-${nonce}'`, styles, `img-src ${cspSource} data:`, `font-src ${cspSource}`];
  if (connectSource !== undefined) directives.push(`connect-src ${connectSource}`);
  return directives.join('; ');
}

/** A nonce from random bytes (at least 16), as base64. */
export function nonceFromBytes(bytes: Uint8Array): string {
  if (bytes.length < 16) throw new RangeError(`a nonce needs at least 16 random bytes, got ${bytes.length}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * True for a space-separated list of CSP sources as VS Code gives `webview.cspSource` (e.g.
 * `'self' https://*.vscode-cdn.net`): hosts/schemes, or the quoted keyword 'self'. Nothing that could end the
 * directive (`;`, `,`) or smuggle in another keyword ('unsafe-inline', 'nonce-…').
 */
function isSourceList(s: string | undefined): boolean {
  const tokens = (s ?? '').trim().split(/ +/);
  return tokens[0] !== '' && tokens.every((t) => t === "'self'" || /^[^\s;,'"]+$/.test(t));
}

/**
 * Refuses a text that cannot sit inside a `<script>`/`<style>` element as it is: a closing tag of its kind would end
 * the element early (and what follows would be HTML), `<!--` and `<script` put a script element's parser into its
 * escaped states.
 */
function inlineText(kind: 'script' | 'style', text: string): void {
  if (typeof text !== 'string') throw new TypeError(`dashboard inline ${kind} must be a string, got ${typeof text}`);
  const bad = new RegExp(kind === 'script' ? '</script|<!--|<script' : '</style', 'i').exec(text);
  if (bad) throw new RangeError(`dashboard inline ${kind} contains '${bad[0]}' at ${bad.index}: it cannot be carried in the page as it is`);
}

/** The whole HTML document of the dashboard webview. */
export function dashboardHtml(o: DashboardHtmlOptions): string {
  if (!NONCE_RE.test(o.nonce)) throw new RangeError(`dashboard nonce must be 16+ base64/hex characters, got ${JSON.stringify(o.nonce)}`);
  if (!isSourceList(o.cspSource)) {
    throw new RangeError(`dashboard cspSource must be a list of CSP source expressions, got ${JSON.stringify(o.cspSource)}`);
  }
  if (o.connectSource !== undefined && !isSourceList(o.connectSource)) {
    throw new RangeError(`dashboard connectSource must be a list of CSP source expressions, got ${JSON.stringify(o.connectSource)}`);
  }
  if (o.inline) {
    inlineText('script', o.inline.script);
    inlineText('style', o.inline.style);
  }
  const csp = dashboardCsp(o.cspSource, o.nonce, o.connectSource, o.inline !== undefined);
  const nonce = escapeAttr(o.nonce);
  const host = o.hostScriptUri === undefined ? '' : `<script nonce="${nonce}" src="${escapeAttr(o.hostScriptUri)}"></script>\n`;
  const theme = o.themeStyleUri === undefined ? '' : `<link rel="stylesheet" href="${escapeAttr(o.themeStyleUri)}">\n`;
  const style = o.inline ? `<style nonce="${nonce}">\n${o.inline.style}\n</style>` : `<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">`;
  const script = o.inline ? `<script nonce="${nonce}">\n${o.inline.script}\n</script>` : `<script nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${theme}${style}
<title>CODITECT Progress</title>
</head>
<body>
<main id="app" class="app" aria-busy="true" aria-label="CODITECT plan progress">
<p class="loading" role="status">Loading the plan…</p>
</main>
${host}${script}
</body>
</html>
`;
}
