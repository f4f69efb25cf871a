// Where a long-lived engine's log lines go, from the plan's `logging` section (level, file, max_bytes, backup_count):
// a size-rotated private file, stderr (systemd's journal), or both. The config is read here, before the engine opens
// it, because the log must exist to report what goes wrong while opening.
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type OrchestratorConfig } from './config';
import type { LogLevel } from './logger';
import type { EnginePaths } from './paths';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './privateFiles';

/** The daemon's log without a `logging` section: `.coditect/logs/engine.log`, rotated at 10 MB, 5 old files kept. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_BACKUPS = 5;

/** The logging settings an engine starts with; the defaults when the config cannot be read (the engine reports that). */
export function loggingOf(paths: EnginePaths, configPath: string | undefined, env: NodeJS.ProcessEnv, profile?: string): OrchestratorConfig['logging'] {
  const file = configPath ?? paths.defaultConfigPaths.find((f) => existsSync(f));
  if (file === undefined) return {};
  try {
    return loadConfig(file, { env, profile, baseDir: paths.workspaceRoot }).logging;
  } catch {
    return {};
  }
}

/** The config's level as the logger's (`warning` is the plan's Python spelling of `warn`); undefined when unset. */
export function logLevelOf(logging: OrchestratorConfig['logging']): LogLevel | undefined {
  const l = logging.level;
  return l === undefined ? undefined : l === 'warning' ? 'warn' : l;
}

/** An open log destination. */
export interface LogSink {
  stream: Writable;
  /** The rotated file, when lines go to one. */
  file?: string;
  /** Flushes and closes the file (stderr stays open). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the log: `logging.file` (relative to the workspace root) or `defaultFile`, rotated when it reaches
 * `logging.max_bytes`, keeping `logging.backup_count` rotated files (0: never rotated, as Python's handler). In the
 * foreground the lines go to stderr, and also to the file when the config names one.
 */
export async function openLogSink(logging: OrchestratorConfig['logging'], paths: EnginePaths, defaultFile: string, foreground: boolean): Promise<LogSink> {
  if (foreground && logging.file === undefined) return { stream: process.stderr, close: () => Promise.resolve() };
  const file = logging.file === undefined ? defaultFile : resolve(paths.workspaceRoot, logging.file);
  ensurePrivateDir(dirname(file));
  // rotating-file-stream's types are ESM-only; a dynamic import loads it from this CommonJS module (bundled by esbuild).
  const { createStream } = await import('rotating-file-stream');
  const backups = logging.backup_count ?? DEFAULT_LOG_BACKUPS;
  const rotating = createStream(basename(file), {
    path: dirname(file),
    ...(backups > 0 ? { size: `${logging.max_bytes ?? DEFAULT_LOG_MAX_BYTES}B`, maxFiles: backups } : {}),
    compress: 'gzip',
    mode: PRIVATE_FILE_MODE,
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= new Promise<void>((r) => rotating.end(r)));
  if (!foreground) return { stream: rotating, file, close };
  const both = new Writable({
    write(chunk: Buffer, _enc, cb) {
      process.stderr.write(chunk);
      rotating.write(chunk, cb);
    },
  });
  return { stream: both, file, close };
}
