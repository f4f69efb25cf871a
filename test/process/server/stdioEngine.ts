// The built engine over stdio (`engine.js --stdio`) with a JSON-RPC connection in the editor's place, started as the
// extension starts it: shared by the process tests that play the editor's side of the protocol.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, PROTOCOL_VERSION, Ready } from '../../../src/protocol/engineProtocol';
import { cliEnv, ROOT } from '../cli/cliHarness';

/** An engine process and the editor's connection to it, not listening yet (see initializeAsEditor). */
export interface StdioEngine {
  child: ChildProcess;
  connection: MessageConnection;
  exited: Promise<void>;
  /** What the engine logged so far. */
  stderr: () => string;
  /** The engine's `coditect/ready`, caught from the first message on. */
  ready: Promise<void>;
}

/** Spawns the engine. Set the editor's handlers (ApplyEdits…) on `connection`, then call initializeAsEditor. */
export function spawnStdioEngine(): StdioEngine {
  const child = spawn(process.execPath, [join(ROOT, 'dist/engine.js'), '--stdio'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const ready = new Promise<void>((r) => connection.onNotification(Ready.type, () => r()));
  return { child, connection, exited, stderr: () => err, ready };
}

/** Listens, waits for the engine's ready and initializes it on `tasklistPath` of `dir` as an editor that applies edits. */
export async function initializeAsEditor(engine: StdioEngine, dir: string, tasklistPath: string): Promise<void> {
  engine.connection.listen();
  await engine.ready;
  await engine.connection.sendRequest(Initialize.type, {
    protocolVersion: PROTOCOL_VERSION,
    workspaceRoot: dir,
    tasklistPath,
    configPath: join(dir, 'config.json'),
    readOnly: false,
    clientAppliesEdits: true,
  });
}
