// The environment the real Claude Code CLI runs with in these tests: its own HOME, the scripted Messages API as its
// endpoint, every call of its own (telemetry, updates, error reports) off, and its traffic through the recording proxy.

/** Where the CLI talks to, and with which key. */
export interface ClaudeCodeEndpoints {
  home: string;
  baseURL: string;
  proxyURL: string;
  key: string;
}

/** The CLI's environment; a key in `over` set to undefined is left out (e.g. no API key). */
export function claudeCodeEnv(at: ClaudeCodeEndpoints, over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: at.home,
    ANTHROPIC_BASE_URL: at.baseURL,
    ANTHROPIC_API_KEY: at.key,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    // The engine decides about retries (and the provider pause); the CLI's own retries would only slow the tests.
    CLAUDE_CODE_MAX_RETRIES: '0',
    HTTPS_PROXY: at.proxyURL,
    HTTP_PROXY: at.proxyURL,
    NO_PROXY: '127.0.0.1,localhost',
    ...over,
  };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return e;
}
