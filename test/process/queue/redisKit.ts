// A real redis-server for the queue tests (Debian package `redis-server`; .ci/run installs it): started on a free
// loopback port with its own temp folder, appendonly so a restart keeps what it had, stopped and removed after the
// test. Readiness is its own "Ready to accept connections" line, never a sleep.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.CODITECT_REDIS_SERVER ?? '/usr/bin/redis-server';

/** A free TCP port on 127.0.0.1 (the kernel's pick, released before redis binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** One redis-server (restartable on the same port and data). */
export class RedisServer {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'coditect-redis-'));
  log = '';

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const r = new RedisServer(await freePort());
    await r.run();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (again) and resolves when it accepts connections. */
  async run(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    args.push('--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice');
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        this.log += d.toString();
        if (/Ready to accept connections/.test(this.log.slice(-4000))) {
          child.stdout!.off('data', onData);
          child.stdout!.on('data', (x: Buffer) => (this.log += x.toString()));
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited ${code} before it was ready:\n${this.log}`)));
    });
  }

  /** Stops it (SIGTERM: it writes its append-only file first) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  /** Stops it and removes its folder. */
  async remove(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
