import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { EngineProcess, EngineStartError, type EngineProcessOptions } from '../../../src/extension/engineProcess';
import { FakeInfo, FakeLog } from './fixtures/fakeEngineProtocol';

const FAKE = join(__dirname, 'fixtures', 'fakeEngine.ts');

function options(mode: string, over: Partial<EngineProcessOptions> = {}): EngineProcessOptions {
  return {
    runtimePath: process.execPath,
    runtimeArgs: ['--import', 'tsx'],
    enginePath: FAKE,
    tasklistPath: '/ws/PROJECT-TASKLIST.md',
    cwd: __dirname,
    env: { FAKE_ENGINE_MODE: mode },
    exitGraceMs: 500,
    shutdownTimeoutMs: 500,
    ...over,
  };
}

describe('engine child process (real child, fake engine)', function () {
  this.timeout(30_000);
  const started: EngineProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });
  const start = async (o: EngineProcessOptions): Promise<EngineProcess> => {
    const p = await EngineProcess.start(o);
    started.push(p);
    return p;
  };

  it('completes the ready handshake and passes --stdio, --tasklist, --db, and the API key on the secrets pipe, not in its environment', async () => {
    const p = await start(options('normal', { dbPath: '/ws/.coditect/x.db', secrets: { ANTHROPIC_API_KEY: 'sk-ant-test-123' } }));
    assert.equal(p.ready.engineVersion, 'fake');
    const info = await p.connection.sendRequest(FakeInfo);
    assert.deepEqual(info.argv, ['--stdio', '--tasklist', '/ws/PROJECT-TASKLIST.md', '--db', '/ws/.coditect/x.db', '--secrets-fd', '3']);
    assert.equal(info.hasApiKey, true);
    assert.equal(info.apiKeyLength, 'sk-ant-test-123'.length);
    assert.equal(info.keyInEnviron, false, 'the key must not be readable from /proc/<engine>/environ');
  });

  it('a key in the environment is visible in /proc/<pid>/environ (why the pipe exists)', async () => {
    const p = await start(options('normal', { env: { FAKE_ENGINE_MODE: 'normal', ANTHROPIC_API_KEY: 'sk-ant-test-456' } }));
    const info = await p.connection.sendRequest(FakeInfo);
    assert.equal(info.keyInEnviron, true);
  });

  it('forwards stderr lines', async () => {
    const p = await start(options('normal'));
    const got = new Promise<string>((resolve) => p.events.on('stderr:line', (l) => l.startsWith('hello') && resolve(l)));
    await p.connection.sendRequest(FakeLog, { line: 'hello from the engine' });
    assert.equal(await got, 'hello from the engine');
  });

  it('stops gracefully: shutdown, exit, code 0, marked expected', async () => {
    const p = await start(options('normal'));
    const x = await p.stop();
    assert.deepEqual({ code: x.code, expected: x.expected }, { code: 0, expected: true });
    assert.equal(await p.stop(), x, 'stop is idempotent');
  });

  it('kills an engine that ignores shutdown and SIGTERM with SIGKILL', async () => {
    const p = await start(options('stubborn'));
    const x = await p.stop();
    assert.equal(x.signal, 'SIGKILL');
  });

  it('reports an unexpected exit (a crash) as not expected', async () => {
    const p = await start(options('normal'));
    const exited = new Promise((r) => p.events.on('process:exited', r));
    p.killHard();
    const x = (await exited) as { expected: boolean; signal: string };
    assert.deepEqual([x.expected, x.signal], [false, 'SIGKILL']);
  });

  it("turns the native-module failure (exit 78) into an error that carries the engine's explanation", async () => {
    const err = await EngineProcess.start(options('native')).then(
      () => assert.fail('started'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof EngineStartError);
    assert.equal(err.exit?.code, 78);
    assert.match(err.exit?.nativeModuleError ?? '', /NODE_MODULE_VERSION 115/);
    assert.match(err.message, /cannot load its database module/);
  });

  it('hands over stderr lines written before the handshake (a crash at start-up stays visible)', async () => {
    const lines: string[] = [];
    await EngineProcess.start(options('native', { onStderrLine: (l) => lines.push(l) })).catch(() => undefined);
    assert.ok(
      lines.some((l) => l.startsWith('CODITECT_NATIVE_MODULE_ERROR')),
      lines.join('\n'),
    );
    assert.ok(lines.includes('run npm rebuild better-sqlite3'));
  });

  it('gives up on an engine that never says ready, and leaves no process behind', async () => {
    const err = (await EngineProcess.start(options('silent', { readyTimeoutMs: 1500 })).catch((e: unknown) => e)) as EngineStartError;
    assert.ok(err instanceof EngineStartError);
    assert.match(err.message, /did not send 'ready' within 1500 ms/);
    // The error comes after the process is gone: it carries the exit (SIGTERM answered by a quiet fake).
    assert.equal(err.exit?.signal, 'SIGTERM');
  });

  it('names the runtime and the setting when the runtime does not exist', async () => {
    const err = (await EngineProcess.start(options('normal', { runtimePath: '/nonexistent/node20' })).catch((e: unknown) => e)) as EngineStartError;
    assert.match(err.message, /runtime "\/nonexistent\/node20".*coditect\.runtimePath/);
  });

  it('validates its options', async () => {
    await assert.rejects(EngineProcess.start(options('normal', { readyTimeoutMs: -1 })), /readyTimeoutMs must be a positive number of ms, got -1/);
    await assert.rejects(EngineProcess.start(options('normal', { runtimePath: ' ' })), /runtimePath must be a non-empty path/);
  });
});
