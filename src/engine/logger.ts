// A small leveled logger for the engine. Every line goes through the redactor first: secrets never reach a log.
import type { Writable } from 'node:stream';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Leveled, redacting logger. */
export interface Logger {
  log(level: LogLevel, message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options of createLogger. */
export interface LoggerOptions {
  /** Where lines go (stderr for the stdio engine, a rotating file for the daemon). */
  stream: Writable;
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** Applied to every message before it is written (see redact.ts). */
  redact?: (text: string) => string;
  /** Also called for every written line (e.g. to forward to the editor as a LogMessage). */
  tap?: (level: LogLevel, message: string) => void;
}

/** Creates a logger writing `ISO-time LEVEL message` lines. */
export function createLogger(opts: LoggerOptions): Logger {
  const min = RANK[opts.level ?? 'info'];
  const redact = opts.redact ?? ((s: string) => s);
  const log = (level: LogLevel, message: string): void => {
    if (RANK[level] < min) return;
    const clean = redact(message);
    opts.stream.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${clean}\n`);
    opts.tap?.(level, clean);
  };
  return {
    log,
    debug: (m) => log('debug', m),
    info: (m) => log('info', m),
    warn: (m) => log('warn', m),
    error: (m) => log('error', m),
  };
}
