// Checks, before anything else loads it, that this Node runtime can load the native SQLite module. An editor that
// starts the engine on the wrong runtime (an Electron ABI, an old Node) gets one precise line and exit code 78.
import { createRequire } from 'node:module';

import { NATIVE_MODULE_ERROR_MARKER } from '../protocol/engineProtocol';
import { errorMessage } from '../core/describe';

/** Returns undefined when better-sqlite3 loads and opens a database, else the reason. */
export function probeNativeModule(): string | undefined {
  try {
    const req = createRequire(__filename);
    const Database = req('better-sqlite3') as new (path: string) => { close(): void };
    new Database(':memory:').close();
    return undefined;
  } catch (e) {
    return errorMessage(e).split('\n')[0];
  }
}

/** The line written to stderr when the probe fails: says exactly what to do. */
export function nativeModuleErrorLine(reason: string): string {
  return (
    `${NATIVE_MODULE_ERROR_MARKER} better-sqlite3 cannot load on ${process.execPath} (Node ${process.versions.node}, ABI ${process.versions.modules}): ${reason}. ` +
    `Fix: point the setting coditect.runtimePath at a Node.js 20+ binary, or rebuild the module for this runtime with \`npm rebuild better-sqlite3\`.`
  );
}
