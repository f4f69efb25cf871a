// The engine answers a failed request with a code from ENGINE_ERRORS (src/protocol/engineErrors.ts), so a client can
// tell a bad config from a locked database without reading the message: a real JSON-RPC connection pair in memory.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { parseConfig } from '../../../src/engine/config';
import { DatabaseLockedError } from '../../../src/engine/db/lockFile';
import type { EngineApi } from '../../../src/engine/engineApi';
import { serveEngineProtocol } from '../../../src/engine/rpcServer';
import { ENGINE_ERRORS } from '../../../src/protocol/engineErrors';
import { GetSnapshot, Initialize, PROTOCOL_VERSION, type InitializeParams } from '../../../src/protocol/engineProtocol';

describe('engine errors over JSON-RPC', () => {
  let client: MessageConnection;
  let server: MessageConnection;
  let failWith: Error;

  beforeEach(() => {
    const up = new PassThrough();
    const down = new PassThrough();
    server = createMessageConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
    client = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
    serveEngineProtocol({
      connection: server,
      engineVersion: 'test',
      shutdownClosesEngine: false,
      onExit: () => undefined,
      obtainEngine: (): Promise<EngineApi> => Promise.reject(failWith),
    });
    client.listen();
  });
  afterEach(() => {
    client.dispose();
    server.dispose();
  });

  const init = (protocolVersion = PROTOCOL_VERSION): Promise<unknown> =>
    client.sendRequest(Initialize.type, { protocolVersion, workspaceRoot: '/nowhere' } as InitializeParams);

  async function rejectsWith(p: Promise<unknown>, code: number, message: RegExp): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ResponseError, `expected a ResponseError, got ${String(e)}`);
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
  }

  it('a request before initialize, and an initialize of another protocol version, answer with their codes', async () => {
    await rejectsWith(client.sendRequest(GetSnapshot.type), ENGINE_ERRORS.notInitialized, /arrived before 'coditect\/initialize'/);
    await rejectsWith(init(PROTOCOL_VERSION + 1), ENGINE_ERRORS.protocolMismatch, /not supported by this engine/);
  });

  it('a bad config and a locked database answer with their codes and the engine message', async () => {
    try {
      parseConfig({ max_concurrent_agents: 0 }, 'config.json', { env: {} });
    } catch (e) {
      failWith = e as Error;
    }
    await rejectsWith(init(), ENGINE_ERRORS.configInvalid, /^config\.json: max_concurrent_agents: expected ≥1, got 0$/);
    failWith = new Error('the engine could not start', { cause: new DatabaseLockedError('/w/context.db.lock', { pid: 42 }) });
    await rejectsWith(init(), ENGINE_ERRORS.databaseLocked, /the engine could not start/);
    failWith = new Error('something else');
    await rejectsWith(init(), -32603, /something else/);
  });
});
