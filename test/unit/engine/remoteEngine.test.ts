// An attached engine's link to the owner (RemoteEngine over connectControl), against a real unix socket whose peer
// goes away at the worst moment: mid-handshake, or while a request is in flight. vscode-jsonrpc leaves a request
// pending forever when the stream just ends; the client must settle every one of them (a window closed while its owner
// closes too must still exit — this hung the process suite's afterEach and, with it, a whole CI run).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageConnection, ResponseError, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { connectControl, ControlClosedError } from '../../../src/engine/control';
import { enginePaths, type EnginePaths } from '../../../src/engine/paths';
import { RemoteEngine } from '../../../src/engine/remoteEngine';
import { CancelTask, GetSnapshot, Initialize, type InitializeResult, PROTOCOL_VERSION, Ready, Shutdown } from '../../../src/protocol/engineProtocol';

/** What the fake owner does when a request of `method` arrives: answer it, or drop the connection without answering. */
type Peer = { dropOn?: string; dropBeforeReady?: boolean; refuseInit?: string };

/** A peer speaking the engine protocol on the plan's control socket, as far as the test needs. */
async function fakeOwner(paths: EnginePaths, peer: Peer): Promise<{ server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((socket: Socket) => {
    if (peer.dropBeforeReady) {
      socket.destroy();
      return;
    }
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    conn.onRequest((method: string) => {
      requests.push(method);
      if (method === peer.dropOn) {
        socket.destroy(); // gone mid-request: the answer never comes
        return new Promise(() => undefined);
      }
      if (method === Initialize.type.method && peer.refuseInit) return new ResponseError(-32000, peer.refuseInit);
      if (method === Initialize.type.method) {
        const snapshot = { tasks: [] } as unknown as InitializeResult['snapshot'];
        return { engineVersion: 'test', pid: process.pid, dbPath: paths.dbPath, schemaVersion: 1, snapshot } satisfies InitializeResult;
      }
      return null;
    });
    conn.listen();
    void conn.sendNotification(Ready.type, { pid: process.pid, engineVersion: 'test', protocolVersion: PROTOCOL_VERSION });
  });
  await new Promise<void>((r) => server.listen(paths.socketPath, () => r()));
  return { server, requests };
}

/** One JSON-RPC frame as it goes over the socket. */
function frame(message: object): string {
  const body = JSON.stringify({ jsonrpc: '2.0', ...message });
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * A peer written frame by frame: it answers `method`, with `notifications` notifications before the answer, and ends
 * the connection in the same write — as an engine that answers a command and then exits (a cancel that ended its run).
 */
async function answerThenExit(paths: EnginePaths, method: string, notifications: number): Promise<Server> {
  const server = createServer((socket) => {
    let buffered = '';
    socket.write(frame({ method: Ready.type.method, params: { pid: process.pid, engineVersion: 'test', protocolVersion: PROTOCOL_VERSION } }));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (;;) {
        const head = /^Content-Length: (\d+)\r\n\r\n/.exec(buffered);
        if (!head || buffered.length < head[0].length + Number(head[1])) return;
        const request = JSON.parse(buffered.slice(head[0].length, head[0].length + Number(head[1]))) as { id: number; method: string };
        buffered = buffered.slice(head[0].length + Number(head[1]));
        if (request.method === Initialize.type.method) {
          const snapshot = { tasks: [] };
          socket.write(frame({ id: request.id, result: { engineVersion: 'test', pid: process.pid, dbPath: paths.dbPath, schemaVersion: 1, snapshot } }));
        } else if (request.method === method) {
          const events = Array.from({ length: notifications }, (_, i) => frame({ method: 'coditect/test', params: { i } }));
          socket.end([...events, frame({ id: request.id, result: { cancelled: true } })].join(''));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(paths.socketPath, () => r()));
  return server;
}

describe('an attached engine whose owner goes away mid-request (real unix socket)', () => {
  let dir: string;
  let paths: EnginePaths;
  let server: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coditect-remote-'));
    writeFileSync(join(dir, 'PLAN.md'), '- [ ] T1 one\n');
    paths = enginePaths(join(dir, 'PLAN.md'), join(dir, 'context.db'));
  });
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('detaching settles when the owner closes the connection with the detach request in flight', async () => {
    const owner = await fakeOwner(paths, { dropOn: Shutdown.type.method });
    server = owner.server;
    const remote = await RemoteEngine.attach(paths, { readOnly: false, clientAppliesEdits: true });
    let lost = 0;
    remote.onLost(() => lost++);
    await remote.close(); // before the fix: pending forever
    assert.deepEqual(owner.requests, [Initialize.type.method, Shutdown.type.method], 'the detach request did reach the owner');
    assert.equal(lost, 0, 'a detach is not a lost owner: no takeover starts');
    await remote.close(); // idempotent
  });

  it('a request in flight when the owner goes away rejects, and the owner is reported lost once', async () => {
    const owner = await fakeOwner(paths, { dropOn: GetSnapshot.type.method });
    server = owner.server;
    const remote = await RemoteEngine.attach(paths, { readOnly: false, clientAppliesEdits: false });
    const lost = new Promise<void>((r) => remote.onLost(r));
    await assert.rejects(Promise.resolve(remote.snapshot()), /disposed|closed/i);
    await lost;
    await remote.close(); // the owner is gone: detaching still settles
  });

  it('a CLI client detaches cleanly after the engine went away behind its command (a cancel that ended the run)', async () => {
    const owner = await fakeOwner(paths, { dropOn: GetSnapshot.type.method });
    server = owner.server;
    const client = await connectControl(paths);
    await assert.rejects(client.connection.sendRequest(GetSnapshot.type));
    await new Promise((r) => setImmediate(r)); // the connection is disposed by now: a plain sendRequest throws at once
    await client.detach(); // before: "Connection is disposed" from the CLI's finally
    await client.detach(); // idempotent
  });

  it('an answer that arrived just before the engine closed still resolves its request, behind many queued messages', async () => {
    server = await answerThenExit(paths, CancelTask.type.method, 200);
    const client = await connectControl(paths);
    assert.deepEqual(await client.connection.sendRequest(CancelTask.type, { taskId: 'T1' }), { cancelled: true });
    await client.detach();
  });

  it('the handshake rejects, naming the plan, when the owner drops the connection before it is ready', async () => {
    server = (await fakeOwner(paths, { dropBeforeReady: true })).server;
    // A ControlClosedError: the attaching engine then opens the plan itself or waits for whoever takes it over.
    await assert.rejects(
      connectControl(paths),
      (e: Error) => e instanceof ControlClosedError && e.message.includes(paths.tasklistPath) && /closed its control connection/.test(e.message),
    );
  });

  it('the handshake rejects when the owner drops the connection during initialize', async () => {
    server = (await fakeOwner(paths, { dropOn: Initialize.type.method })).server;
    await assert.rejects(connectControl(paths), ControlClosedError);
  });

  it('a refusal that is not the connection closing is passed on as it is (not retried as a dying owner)', async () => {
    server = (await fakeOwner(paths, { refuseInit: 'protocol 99 is not spoken here' })).server;
    await assert.rejects(connectControl(paths), (e: Error) => !(e instanceof ControlClosedError) && /protocol 99 is not spoken here/.test(e.message));
  });
});
