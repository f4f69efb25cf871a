// The processes of the queue tests (coordinator, workers) with their output kept, and reads of the coordinator's db.
import { type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export function dbRows<T>(dir: string, sql: string): T[] {
  const conn = new Database(join(dir, '.coditect/context.db'), { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

/** A started CLI child with its output kept and a way to wait for a line. */
export class Proc {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { re: RegExp; resolve(): void }[] = [];

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.waiters = this.waiters.filter((w) => (w.re.test(this.stderr) ? (w.resolve(), false) : true));
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves when stderr has matched `re` (rejects if the process exits first). */
  line(re: RegExp): Promise<void> {
    if (re.test(this.stderr)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ re, resolve });
      void this.exited.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before ${re}:\n${this.stderr.slice(-3000)}`)));
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}
