// The control socket: a running engine (daemon or `coditect run`) serves the same engine protocol on a unix socket,
// so `coditect status|pause|resume|stop|cancel` and other clients steer it while it runs.
import { makePrivate, withPrivateUmask } from './privateFiles';
import { existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createMessageConnection, Message, type MessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, type InitializeResult, PROTOCOL_VERSION, Ready, Shutdown } from '../protocol/engineProtocol';
import type { EngineApi } from './engineApi';
import type { EnginePaths } from './paths';
import { serveEngineProtocol } from './rpcServer';

/** A listening control socket; `close()` is idempotent and removes the socket file. */
export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Serves the engine protocol on a unix socket; each client gets its own connection. A stale socket file is replaced. */
export async function serveControlSocket(engine: EngineApi, socketPath: string, engineVersion: string): Promise<ControlServer> {
  if (existsSync(socketPath)) {
    if (await socketAnswers(socketPath)) throw new Error(`another engine is already listening on ${socketPath}`);
    unlinkSync(socketPath); // left behind by a killed engine
  }
  const sockets = new Map<Socket, Answers>();
  const server: Server = createServer((socket) => {
    const answers = new Answers();
    sockets.set(socket, answers);
    socket.on('close', () => {
      sockets.delete(socket);
      answers.drop();
    });
    socket.on('error', () => socket.destroy());
    const writer = new SocketMessageWriter(socket);
    const write = writer.write.bind(writer);
    // An answer counts once it is written to the socket (the writer encodes and writes asynchronously).
    writer.write = (message: Message) => write(message).finally(() => Message.isResponse(message) && answers.answered());
    const connection = createMessageConnection(new SocketMessageReader(socket), writer, undefined, {
      messageStrategy: {
        handleMessage: (message, next) => {
          if (Message.isRequest(message)) answers.asked();
          next(message);
        },
      },
    });
    const dispose = serveEngineProtocol({
      connection,
      engineVersion,
      obtainEngine: async () => engine,
      // A control client's shutdown ends its session, never the engine others rely on.
      shutdownClosesEngine: false,
      onExit: () => {
        dispose();
        connection.dispose();
        socket.destroy();
      },
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    // bind() happens inside listen(): under umask 077 the socket is never connectable by others, even for an instant.
    withPrivateUmask(() =>
      server.listen(socketPath, () => {
        server.off('error', reject);
        try {
          makePrivate(socketPath);
        } catch (e) {
          reject(e as Error); // makePrivate() fails with a Node system error
          return;
        }
        resolveListen();
      }),
    );
  });
  let closing: Promise<void> | undefined;
  return {
    path: socketPath,
    close: () =>
      (closing ??= new Promise<void>((resolveClose) => {
        // No new client; each one connected gets the answers to what it already asked (a `coditect cancel` whose
        // cancel ended the run), within a bound, before its connection is cut.
        server.close(() => {
          try {
            if (existsSync(socketPath)) unlinkSync(socketPath);
          } catch {
            // already gone
          }
          resolveClose();
        });
        for (const [socket, answers] of sockets) void answers.settled(ANSWER_GRACE_MS).then(() => socket.destroy());
      })),
  };
}

/** How long a closing control socket waits for the answers its clients are owed. */
const ANSWER_GRACE_MS = 2000;

/** The requests a control connection was asked and has answered: a closing engine answers before it hangs up. */
class Answers {
  private open = 0;
  private waiters: (() => void)[] = [];
  asked(): void {
    this.open++;
  }
  answered(): void {
    this.open = Math.max(0, this.open - 1);
    if (this.open === 0) this.wake();
  }
  /** The connection is gone: nothing more can be answered. */
  drop(): void {
    this.open = 0;
    this.wake();
  }
  /** Resolves once every request asked so far is answered, or after `boundMs`. */
  settled(boundMs: number): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, boundMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** True when something accepts connections on the socket. */
export function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/**
 * No engine answers on the control socket, or the one behind it closed the connection before the handshake completed:
 * it is gone or going away (killed, closing). Whoever wanted to attach may open the plan itself or wait for the one
 * that takes it over.
 */
export class ControlClosedError extends Error {
  override readonly name = 'ControlClosedError';
}

/** A client session with a running engine. */
export interface ControlClient {
  connection: MessageConnection;
  init: InitializeResult;
  /** Drops the connection at once. */
  close(): void;
  /** Ends this client's session (`shutdown`: the engine goes on), then closes; settles even when the engine is gone. Idempotent. */
  detach(): Promise<void>;
}

/** Options of connectControl. */
export interface ConnectOptions {
  /** This client applies the engine's markdown edits to open documents (`coditect/applyEdits`): an attached editor. Default false. */
  clientAppliesEdits?: boolean;
}

/** Connects to the engine serving `paths`, waits for its ready handshake and initializes. Rejects when none runs. */
export async function connectControl(paths: EnginePaths, opts: ConnectOptions = {}): Promise<ControlClient> {
  const socket = await new Promise<Socket>((res, rej) => {
    const s = createConnection(paths.socketPath);
    s.once('connect', () => res(s));
    s.once('error', (e) =>
      rej(
        new ControlClosedError(
          `no engine is running for ${paths.tasklistPath} (socket ${paths.socketPath}: ${(e as NodeJS.ErrnoException).code ?? e.message})`,
        ),
      ),
    );
  });
  // Counts the messages the connection has handled: it handles one per turn of the event loop (see below).
  let handled = 0;
  const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket), undefined, {
    messageStrategy: {
      handleMessage: (message, next) => {
        handled++;
        next(message);
      },
    },
  });
  // vscode-jsonrpc settles a pending request only when the connection is disposed, not when its stream ends: an
  // engine that goes away mid-request (it was closing too, or was killed) would leave the handshake or a detaching
  // client's shutdown waiting forever. Invariant: once the socket closes, every request in flight settles — answered
  // if its answer arrived before the close, else rejected.
  let isClosed = false;
  const gone = (): ControlClosedError => new ControlClosedError(`the engine for ${paths.tasklistPath} closed its control connection`);
  const closed = new Promise<never>((_, rej) =>
    connection.onClose(() => {
      isClosed = true;
      rej(gone());
      // What arrived before the close is still queued, one message handled per turn (an engine answers a cancel,
      // then exits): dispose once a turn passes with nothing handled, so those answers still resolve their requests.
      let seen = -1;
      const drain = (): void => {
        if (seen === handled) connection.dispose();
        else {
          seen = handled;
          setImmediate(drain);
        }
      };
      setImmediate(drain);
    }),
  );
  closed.catch(() => undefined);
  const ready = new Promise<void>((res) => connection.onNotification(Ready.type, () => res()));
  connection.listen();
  let init: InitializeResult;
  try {
    await Promise.race([ready, closed]);
    init = await connection.sendRequest(Initialize.type, {
      protocolVersion: PROTOCOL_VERSION,
      workspaceRoot: paths.workspaceRoot,
      tasklistPath: paths.tasklistPath,
      dbPath: paths.dbPath,
      readOnly: false,
      clientAppliesEdits: opts.clientAppliesEdits ?? false,
    });
  } catch (e) {
    socket.destroy();
    // A listener that accepted while its process was dying (a killed owner's socket) closes before the handshake.
    throw isClosed ? gone() : e;
  }
  const close = (): void => {
    connection.dispose();
    socket.destroy();
  };
  let detaching: Promise<void> | undefined;
  return {
    connection,
    init,
    close,
    detach: () =>
      (detaching ??= (async () => {
        // The engine may be gone already (sendRequest then throws at once, closed or disposed) or go away meanwhile
        // (the request rejects, see above): the session ends either way.
        try {
          await connection.sendRequest(Shutdown.type);
        } catch {
          // nothing left to detach from
        }
        close();
      })()),
  };
}
