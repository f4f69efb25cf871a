// The dashboard page skeleton and its Content Security Policy. Used by the extension (dashboardPanel.ts), by the
// daemon's web server (src/engine/http) and by the browser tests, so all load exactly the same page; only the host
// adapter differs (the daemon adds webHost.js, which talks HTTP where the webview talks postMessage). Pure strings.

export interface DashboardHtmlOptions {
  /** `webview.cspSource`: the origin allowed to serve the script, the style sheet and images. */
  cspSource: string;
  /** Fresh per page load; only scripts carrying it run. Base64 or hex, at least 16 characters. */
  nonce: string;
  /** URI of dist/webview/main.js as the webview sees it. */
  scriptUri: string;
  /** URI of media/dashboard.css as the webview sees it. */
  styleUri: string;
  /** A host adapter loaded before the page's script (the daemon's webHost.js, which provides acquireVsCodeApi over HTTP). */
  hostScriptUri?: string;
  /** A theme sheet loaded before the page's (the daemon's web-theme.css: the variables VS Code injects into a webview). */
  themeStyleUri?: string;
  /** Sources the page may fetch from (`connect-src`); absent: none, as in the editor's webview. */
  connectSource?: string;
}

const NONCE_RE = /^[A-Za-z0-9+/=_-]{16,}$/;

/** The policy: nothing by default; scripts only with the nonce; styles and images only from the extension. */
export function dashboardCsp(cspSource: string, nonce: string, connectSource?: string): string {
  const directives = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`, `img-src ${cspSource} data:`, `font-src ${cspSource}`];
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

/** The whole HTML document of the dashboard webview. */
export function dashboardHtml(o: DashboardHtmlOptions): string {
  if (!NONCE_RE.test(o.nonce)) throw new RangeError(`dashboard nonce must be 16+ base64/hex characters, got ${JSON.stringify(o.nonce)}`);
  if (!isSourceList(o.cspSource)) {
    throw new RangeError(`dashboard cspSource must be a list of CSP source expressions, got ${JSON.stringify(o.cspSource)}`);
  }
  if (o.connectSource !== undefined && !isSourceList(o.connectSource)) {
    throw new RangeError(`dashboard connectSource must be a list of CSP source expressions, got ${JSON.stringify(o.connectSource)}`);
  }
  const csp = dashboardCsp(o.cspSource, o.nonce, o.connectSource);
  const host = o.hostScriptUri === undefined ? '' : `<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.hostScriptUri)}"></script>\n`;
  const theme = o.themeStyleUri === undefined ? '' : `<link rel="stylesheet" href="${escapeAttr(o.themeStyleUri)}">\n`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${theme}<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>CODITECT Progress</title>
</head>
<body>
<main id="app" class="app" aria-busy="true" aria-label="CODITECT plan progress">
<p class="loading" role="status">Loading the plan…</p>
</main>
${host}<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
