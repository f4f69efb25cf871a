import * as assert from 'node:assert/strict';
import { dashboardCsp, dashboardHtml, nonceFromBytes } from '../../../src/protocol/dashboardHtml';

const opts = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'q1w2e3r4t5y6u7i8o9p0AA==',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard.css',
};

describe('dashboard page', () => {
  it('declares the strict policy: nothing by default, nonce scripts, styles and images from the extension only', () => {
    assert.equal(
      dashboardCsp(opts.cspSource, opts.nonce),
      `default-src 'none'; script-src 'nonce-${opts.nonce}'; style-src ${opts.cspSource}; img-src ${opts.cspSource} data:; font-src ${opts.cspSource}`,
    );
    const html = dashboardHtml(opts);
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    assert.ok(meta, 'the CSP meta tag is present');
    assert.equal(meta[1], dashboardCsp(opts.cspSource, opts.nonce));
    assert.doesNotMatch(meta[1], /unsafe-inline|unsafe-eval/);
  });

  it('loads exactly one script, carrying the nonce, and no inline script or style (without `inline`)', () => {
    const html = dashboardHtml(opts);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], new RegExp(`nonce="${opts.nonce.replace(/[+=]/g, '\\$&')}"`));
    assert.match(scripts[0][1], /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/main\.js"/);
    assert.equal(scripts[0][2].trim(), '', 'the script tag has no inline body');
    assert.doesNotMatch(html, /<style|style=/);
    assert.match(html, /<link rel="stylesheet" href="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/media\/dashboard\.css">/);
  });

  it('escapes URIs into attributes and refuses a weak nonce or a source that could extend the policy', () => {
    const html = dashboardHtml({ ...opts, scriptUri: 'https://x/a"><script>alert(1)</script>' });
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /a&quot;&gt;&lt;script&gt;/);
    assert.throws(() => dashboardHtml({ ...opts, nonce: 'short' }), /nonce.*"short"/);
    assert.throws(() => dashboardHtml({ ...opts, nonce: "abcdefghijklmnop' 'unsafe-inline" }), /nonce/);
    assert.throws(() => dashboardHtml({ ...opts, cspSource: "https://x; script-src 'unsafe-inline'" }), /cspSource/);
    assert.throws(() => dashboardHtml({ ...opts, cspSource: "'self' 'unsafe-inline'" }), /cspSource/);
    assert.throws(() => dashboardHtml({ ...opts, cspSource: '' }), /cspSource/);
  });

  it("accepts the source list a real VS Code gives (quoted 'self' plus the CDN host)", () => {
    const cspSource = "'self' https://*.vscode-cdn.net";
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(dashboardHtml({ ...opts, cspSource }));
    assert.ok(meta);
    assert.match(meta[1], /style-src &#39;self&#39; https:\/\/\*\.vscode-cdn\.net;|style-src 'self' https:\/\/\*\.vscode-cdn\.net;/);
  });

  it('carries the script and style sheet inline, each with the nonce, and the policy allows that style by the nonce alone', () => {
    const inline = { script: 'document.body.dataset.ran = "yes";', style: '.app { color: red; }' };
    const html = dashboardHtml({ ...opts, inline });
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    assert.ok(meta);
    assert.equal(meta[1], dashboardCsp(opts.cspSource, opts.nonce, undefined, true));
    assert.match(meta[1], new RegExp(`style-src ${opts.cspSource.replace(/[.+]/g, '\\$&')} 'nonce-${opts.nonce.replace(/[+=]/g, '\\$&')}';`));
    assert.match(meta[1], /script-src 'nonce-[^']+';/);
    assert.doesNotMatch(meta[1], /unsafe-inline|unsafe-eval/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0][1], ` nonce="${opts.nonce}"`);
    assert.equal(scripts[0][2].trim(), inline.script);
    const styles = [...html.matchAll(/<style\b([^>]*)>([\s\S]*?)<\/style>/g)];
    assert.equal(styles.length, 1);
    assert.equal(styles[0][1], ` nonce="${opts.nonce}"`);
    assert.equal(styles[0][2].trim(), inline.style);
    assert.doesNotMatch(html, /main\.js|dashboard\.css|<link rel="stylesheet"/, 'nothing is loaded from the URIs');
    // The page's own HTML comes after the style and before the script, as with the URIs.
    assert.ok(html.indexOf('<style') < html.indexOf('id="app"') && html.indexOf('id="app"') < html.indexOf('<script'));
  });

  it('refuses an inline text that would end or escape its element', () => {
    const ok = { script: 'var a = 1;', style: 'p{}' };
    assert.throws(() => dashboardHtml({ ...opts, inline: { ...ok, script: 'var s = "</SCRIPT><img src=x>";' } }), /inline script contains '<\/SCRIPT' at 9/);
    assert.throws(() => dashboardHtml({ ...opts, inline: { ...ok, script: 'x = "<!--";' } }), /inline script contains '<!--'/);
    assert.throws(() => dashboardHtml({ ...opts, inline: { ...ok, script: 'x = "<script>";' } }), /inline script contains '<script'/);
    assert.throws(() => dashboardHtml({ ...opts, inline: { ...ok, style: 'p{} </style><script>alert(1)</script>' } }), /inline style contains '<\/style'/);
  });

  it('makes a base64 nonce from at least 16 random bytes', () => {
    const n = nonceFromBytes(new Uint8Array(18).fill(255));
    assert.equal(n, Buffer.alloc(18, 255).toString('base64'));
    assert.throws(() => nonceFromBytes(new Uint8Array(8)), /at least 16 random bytes, got 8/);
  });
});
