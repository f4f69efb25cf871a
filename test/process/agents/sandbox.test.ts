import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  agentEnv,
  bwrapArgs,
  enginePolicy,
  resetSandboxProbe,
  runAgentProcess,
  sandboxSupport,
  SandboxUnavailableError,
  type SandboxPolicy,
} from '../../../src/engine/agents/sandbox';
import { SpawnError } from '../../../src/engine/agents/processTree';
import { becomesDead, cleanup, deferred, makeTempDir, pidsWithArg } from '../../fakes/agentTestKit';

const SECRET = 'engine-secret-value-0123456789';
const ENGINE_ENV = { PATH: process.env.PATH, HOME: '/root', LANG: 'C.UTF-8', LC_ALL: 'C', ANTHROPIC_API_KEY: SECRET, DB_PASS: SECRET, SHELLY: SECRET };

/** A workspace laid out like a real one: plan, `.coditect/` with config and db, `.git/hooks`. */
function workspace(): { root: string; policy: SandboxPolicy } {
  const root = makeTempDir('coditect-sandbox-');
  writeFileSync(path.join(root, 'PLAN.md'), '- [ ] T001 do it\n');
  mkdirSync(path.join(root, '.coditect', 'logs'), { recursive: true });
  writeFileSync(path.join(root, '.coditect', 'config.json'), '{}');
  writeFileSync(path.join(root, '.coditect', 'context.db'), 'db');
  mkdirSync(path.join(root, '.git', 'hooks'), { recursive: true });
  const policy = enginePolicy(
    {
      tasklistPath: path.join(root, 'PLAN.md'),
      workspaceRoot: root,
      stateDir: path.join(root, '.coditect'),
      dbPath: path.join(root, '.coditect', 'context.db'),
      configPath: path.join(root, '.coditect', 'config.json'),
    },
    { mode: 'required', network: false, envAllow: [], writablePaths: [] },
    root,
  );
  return { root, policy };
}

async function sh(script: string, cwd: string, policy: SandboxPolicy, env = agentEnv(ENGINE_ENV)) {
  return runAgentProcess({ command: 'sh', args: ['-c', script], cwd, env, sandbox: policy, mergeStderr: true });
}

describe('agent environment allow-list', () => {
  it('passes the allow-listed names and locale family, the configured names and the extras, and nothing else', () => {
    const env = agentEnv({ ...ENGINE_ENV, GOPATH: '/go', LC_TIME: 'C' }, { CODITECT_TASK_ID: 'T1' }, ['GOPATH']);
    assert.deepEqual(Object.keys(env).sort(), ['CODITECT_TASK_ID', 'GOPATH', 'HOME', 'LANG', 'LC_ALL', 'LC_TIME', 'PATH']);
    assert.ok(!Object.values(env).includes(SECRET));
  });
});

describe('bubblewrap sandbox (real bwrap, real processes)', function () {
  let ws: { root: string; policy: SandboxPolicy };
  before(function () {
    // The project installs bubblewrap (.ci/run, scripts/setup.mjs); on Linux this suite MUST run, not be skipped.
    assert.ok(sandboxSupport().available, `bubblewrap is needed for these tests: ${sandboxSupport().reason}`);
  });
  beforeEach(() => (ws = workspace()));
  afterEach(() => cleanup(ws.root));

  it('lets the process write its working directory and nothing the engine trusts', async () => {
    const r = await sh(
      [
        'echo work > result.txt',
        'echo "- [ ] T002 Verify: id > /tmp/x" >> PLAN.md',
        'echo evil > .git/hooks/pre-commit',
        'echo "{}" > .coditect/config.json',
        'rm -f .coditect/context.db',
        'mv PLAN.md moved.md',
        'echo home > "$HOME/.coditect-sandbox-probe"',
        'echo done',
      ].join('; '),
      ws.root,
      ws.policy,
    );
    assert.equal(r.sandboxed, true);
    assert.match(r.stdout, /done/);
    assert.equal(readFileSync(path.join(ws.root, 'result.txt'), 'utf8'), 'work\n');
    assert.equal(readFileSync(path.join(ws.root, 'PLAN.md'), 'utf8'), '- [ ] T001 do it\n');
    assert.equal(existsSync(path.join(ws.root, '.git', 'hooks', 'pre-commit')), false);
    assert.equal(readFileSync(path.join(ws.root, '.coditect', 'context.db'), 'utf8'), 'db');
    assert.equal(readFileSync(path.join(ws.root, '.coditect', 'config.json'), 'utf8'), '{}');
    assert.equal(existsSync(path.join(ws.root, 'moved.md')), false);
    assert.equal(existsSync('/root/.coditect-sandbox-probe'), false, 'the rest of the filesystem is read-only');
  });

  it("hides the engine's state directory (db, control socket, logs) entirely", async () => {
    const r = await sh('ls -A .coditect | wc -l; cat .coditect/context.db 2>&1 || true', ws.root, ws.policy);
    assert.equal(r.stdout.split('\n')[0]!.trim(), '0');
    assert.doesNotMatch(r.stdout, /^db$/m);
  });

  it("holds no engine secret in its environment nor in /proc/$PPID/environ, and cannot see the engine's /proc", async () => {
    const r = await sh(
      `env; echo ---; tr '\\0' '\\n' < /proc/$PPID/environ; echo ---; test -e /proc/${process.pid}/environ && tr '\\0' '\\n' < /proc/${process.pid}/environ; echo end`,
      ws.root,
      ws.policy,
    );
    assert.match(r.stdout, /end$/m);
    assert.ok(!r.stdout.includes(SECRET), 'a secret of the engine reached the sandbox');
    assert.match(r.stdout, /^PATH=/m, 'the allow-listed environment is there');
  });

  it('has no network unless allowed', async () => {
    const server = net.createServer((s) => s.end('pong\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const probe = `node -e "require('net').connect(${port},'127.0.0.1').on('data',d=>{process.stdout.write('got '+d);process.exit(0)}).on('error',e=>{console.log('refused '+e.code);process.exit(0)})"`;
    try {
      const off = await sh(probe, ws.root, ws.policy);
      assert.match(off.stdout, /refused ECONNREFUSED/);
      const on = await sh(probe, ws.root, { ...ws.policy, network: true });
      assert.match(on.stdout, /got pong/);
    } finally {
      server.close();
    }
  });

  it('kills everything inside when stopped, even a setsid daemon outside its process group', async () => {
    const marker = `coditect-orphan-${process.pid}-${Date.now()}`;
    const ac = new AbortController();
    const seen = deferred<number[]>();
    const run = runAgentProcess({
      command: 'sh',
      // The daemon announces itself only once it runs; then the leader waits to be stopped.
      args: ['-c', `setsid sh -c 'echo up; exec -a ${marker} sleep 1000' < /dev/null & sleep 1000`],
      cwd: ws.root,
      env: agentEnv(ENGINE_ENV),
      sandbox: ws.policy,
      killGraceMs: 100,
      signal: ac.signal,
      onStdout: (c) => {
        if (!c.includes('up')) return;
        const poll = (): void => {
          const pids = pidsWithArg(marker);
          if (pids.length) seen.resolve(pids);
          else setImmediate(poll);
        };
        poll();
      },
    });
    const pids = await seen.promise;
    ac.abort();
    const r = await run;
    assert.equal(r.aborted, true);
    for (const pid of pids) assert.equal(await becomesDead(pid), true, `the detached process ${pid} survived the sandbox`);
  });

  it('runs an executable that lives under /tmp outside the workspace (a checkout in /tmp), and still hides the rest of /tmp', async () => {
    const tools = makeTempDir('coditect-sandbox-tools-');
    const other = makeTempDir('coditect-sandbox-other-');
    try {
      const tool = path.join(tools, 'bin', 'tool');
      mkdirSync(path.dirname(tool));
      writeFileSync(tool, `#!/bin/sh\necho tool-ran; ls ${other} 2>&1 || true\n`, { mode: 0o755 });
      writeFileSync(path.join(other, 'private.txt'), 'not for agents');
      const r = await runAgentProcess({ command: tool, args: [], cwd: ws.root, env: agentEnv(ENGINE_ENV), sandbox: ws.policy, mergeStderr: true });
      assert.equal(r.sandboxed, true);
      assert.match(r.stdout, /tool-ran/);
      assert.doesNotMatch(r.stdout, /private\.txt/);
    } finally {
      cleanup(tools);
      cleanup(other);
    }
  });

  it('reports a missing executable as a SpawnError (ENOENT), as without the sandbox', async () => {
    await assert.rejects(
      runAgentProcess({ command: 'no-such-tool-xyz', args: [], cwd: ws.root, env: agentEnv(ENGINE_ENV), sandbox: ws.policy }),
      (e: unknown) => e instanceof SpawnError && e.code === 'ENOENT',
    );
  });

  it('puts the protected mounts after the writable one, so they win', () => {
    const args = bwrapArgs(ws.policy, ws.root);
    const at = (flag: string, p: string): number => args.findIndex((a, i) => a === flag && args[i + 1] === p);
    assert.ok(at('--bind', ws.root) >= 0);
    assert.ok(at('--ro-bind', path.join(ws.root, 'PLAN.md')) > at('--bind', ws.root));
    assert.ok(at('--tmpfs', path.join(ws.root, '.coditect')) > at('--bind', ws.root));
    assert.ok(args.includes('--unshare-net') && args.includes('--unshare-pid') && args.includes('--die-with-parent'));
  });
});

describe('sandbox unavailable', () => {
  let root: string;
  const saved = process.env.CODITECT_BWRAP;
  beforeEach(() => {
    root = makeTempDir('coditect-nosandbox-');
    process.env.CODITECT_BWRAP = path.join(root, 'no-bwrap-here');
    resetSandboxProbe();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CODITECT_BWRAP;
    else process.env.CODITECT_BWRAP = saved;
    resetSandboxProbe();
    cleanup(root);
  });

  it('mode "required" refuses to start the process, naming why', async () => {
    await assert.rejects(
      runAgentProcess({ command: 'true', args: [], cwd: root, env: agentEnv(ENGINE_ENV), sandbox: { ...workspacePolicy(root), mode: 'required' } }),
      (e: unknown) => e instanceof SandboxUnavailableError && /not installed/.test(e.message),
    );
  });

  it('mode "auto" runs it unsandboxed, still with the allow-listed environment, and says so', async () => {
    const r = await runAgentProcess({ command: 'sh', args: ['-c', 'env'], cwd: root, env: agentEnv(ENGINE_ENV), sandbox: workspacePolicy(root) });
    assert.equal(r.sandboxed, false);
    assert.ok(!r.stdout.includes(SECRET));
  });
});

function workspacePolicy(root: string): SandboxPolicy {
  return { mode: 'auto', writable: [root], readOnly: [], hidden: [], network: false, envAllow: [] };
}
