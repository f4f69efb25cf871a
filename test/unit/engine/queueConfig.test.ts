// `queue.*` (workers on Redis): the key is validated with errors that name the bad value (a password masked), the
// plan's REDIS_HOST/REDIS_PORT give the address, and what goes through Redis is checked on the way in.
import { strict as assert } from 'node:assert';
import { parseCli, UsageError } from '../../../src/engine/cli/args';
import { parseConfig } from '../../../src/engine/config';
import { ConfigError } from '../../../src/engine/config/configErrors';
import {
  JOB_PROTOCOL,
  MAX_PATCH,
  agentTypeOfQueue,
  attemptIdOf,
  jobIdOf,
  parseJobData,
  parseJobResult,
  queueNameOf,
  resultsBranchOf,
} from '../../../src/engine/queue/jobProtocol';
import { maskRedisUrl } from '../../../src/engine/queue/redisUrl';

function configError(raw: unknown, env: Record<string, string> = {}): string {
  try {
    parseConfig(raw, 'cfg.json', { env });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

describe('queue config (workers on Redis)', () => {
  it('is local by default; redis with a URL and the documented defaults', () => {
    assert.deepEqual(parseConfig({}, 'config', { env: {} }).queue, { kind: 'local' });
    const c = parseConfig({ queue: { kind: 'redis', url: 'redis://10.0.0.5:6379' } }, 'config', { env: {} });
    assert.deepEqual(c.queue, {
      kind: 'redis',
      url: 'redis://10.0.0.5:6379',
      prefix: 'coditect',
      lockMs: 30_000,
      stalledIntervalMs: 30_000,
      maxStalled: 1,
      results: 'none',
    });
    // Workers run tasks in their own checkout: the coordinator has no worktree to land.
    assert.equal(c.isolation.mode, 'none');
  });

  it("takes the plan's REDIS_HOST / REDIS_PORT (and REDIS_PASSWORD) when the file gives no url", () => {
    const c = parseConfig({ queue: { kind: 'redis' } }, 'config', { env: { REDIS_HOST: 'redis.internal', REDIS_PORT: '6380' } });
    assert.equal(c.queue.kind === 'redis' && c.queue.url, 'redis://redis.internal:6380');
    const p = parseConfig({ queue: { kind: 'redis' } }, 'config', { env: { REDIS_HOST: 'r', REDIS_PASSWORD: 'p@ss' } });
    assert.equal(p.queue.kind === 'redis' && p.queue.url, 'redis://:p%40ss@r:6379');
    // REDIS_HOST alone does not switch the queue on: the config chooses the mode.
    assert.deepEqual(parseConfig({}, 'config', { env: { REDIS_HOST: 'r' } }).queue, { kind: 'local' });
  });

  it('names the bad value, with a password masked', () => {
    assert.match(configError({ queue: { kind: 'rabbit' } }), /queue\.kind: expected one of local, redis, got "rabbit"/);
    assert.match(
      configError({ queue: { kind: 'redis' } }),
      /queue\.url: expected a redis:\/\/ URL with queue\.kind redis \(or REDIS_HOST in the environment\), got nothing/,
    );
    const m = configError({ queue: { kind: 'redis', url: 'http://:hunter2@h:6379' } });
    assert.match(m, /queue\.url: expected a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/:\*\*\*@h:6379\/" \(scheme http\)/);
    assert.ok(!m.includes('hunter2'), m);
    assert.ok(!configError({ queue: { kind: 'redis', url: 'not a url :hunter2@x' } }).includes('hunter2'));
    assert.match(configError({ queue: { kind: 'redis' } }, { REDIS_HOST: 'h', REDIS_PORT: '99999' }), /REDIS_PORT: expected a port 1\.\.65535, got "99999"/);
    assert.match(configError({ queue: { url: 'redis://h:1' } }), /queue\.url: only used with queue\.kind "redis"/);
    assert.match(configError({ queue: { kind: 'redis', url: 'redis://h', prefix: 'a:b' } }), /queue\.prefix: expected 1-64 letters/);
    assert.match(configError({ queue: { kind: 'redis', url: 'redis://h', lock_ms: 10 } }), /queue\.lock_ms: expected ≥1000, got 10/);
    assert.match(configError({ queue: { kind: 'redis', url: 'redis://h', isolation: 1 } }), /queue\.isolation: unknown option/);
    assert.match(
      configError({ isolation: 'worktree', queue: { kind: 'redis', url: 'redis://h' } }),
      /isolation: expected none \(or unset\) with queue\.kind redis/,
    );
    assert.match(configError({ queue: { kind: 'redis', url: 'redis://h', results: 'zip' } }), /queue\.results: expected one of none, patch, branch, got "zip"/);
    assert.match(configError({ queue: { kind: 'redis', url: 'redis://h', results: 'branch' } }), /queue\.remote: expected the git remote .* got nothing/);
    assert.match(configError({ queue: { kind: 'redis', url: 'redis://h', remote: '--upload-pack=x' } }), /queue\.remote: a remote name or URL, not an option/);
    assert.match(configError({ queue: { results: 'patch' } }), /queue\.results: only used with queue\.kind "redis"/);
    const b = parseConfig({ queue: { kind: 'redis', url: 'redis://h', results: 'branch', remote: 'origin' } }, 'config', { env: {} }).queue;
    assert.equal(b.kind === 'redis' && `${b.results} ${b.remote}`, 'branch origin');
    assert.equal(maskRedisUrl('rediss://user:secret@h:6380/2'), 'rediss://user:***@h:6380/2');
  });

  it('coditect worker: --redis and --agents only with worker, agent types checked', () => {
    const o = parseCli(['worker', '--redis', 'redis://h:6379', '--agents', 'devops-engineer, backend-development', '--concurrency', '3']);
    assert.equal(o.command, 'worker');
    assert.deepEqual(o.agents, ['devops-engineer', 'backend-development']);
    assert.equal(o.redis, 'redis://h:6379');
    assert.equal(o.concurrency, 3);
    assert.throws(
      () => parseCli(['run', 'P.md', '--redis', 'redis://h']),
      (e: unknown) => e instanceof UsageError && /--redis and --agents go with worker/.test(e.message),
    );
    assert.throws(() => parseCli(['worker', '--agents', 'a,b c']), /--agents expects agent types separated by commas .*, got "b c"/);
  });
});

describe('job protocol (what crosses Redis)', () => {
  const data = {
    v: JOB_PROTOCOL,
    attemptId: 42,
    taskId: 'T001.001',
    attempt: 1,
    agentType: 'devops-engineer',
    owner: 'host:1:abc',
    input: {
      id: 'T001.001',
      title: 'Deploy',
      agentType: 'devops-engineer',
      epic: { id: 'E001', title: 'E' },
      feature: { id: 'F001.01', title: 'F' },
      dependencies: [],
      attempt: 1,
    },
    timeoutMs: 60_000,
    killGraceMs: 5000,
    abandonAfterMs: 10_000,
  };

  it('names queues per agent type and jobs per attempt row, both ways', () => {
    assert.equal(queueNameOf('devops-engineer'), 'agent-devops-engineer');
    assert.equal(queueNameOf('a:b'), 'agent-a%3Ab', 'no ":" in a BullMQ queue name');
    assert.equal(agentTypeOfQueue(queueNameOf('a:b')), 'a:b');
    assert.equal(agentTypeOfQueue('other'), undefined);
    assert.equal(attemptIdOf(jobIdOf(42)), 42);
    assert.equal(attemptIdOf('42'), undefined);
  });

  it('a worker refuses job data of another version or shape, naming it', () => {
    assert.ok('data' in parseJobData(data));
    assert.match((parseJobData({ ...data, v: 1 }) as { problem: string }).problem, /job data of protocol 1, this worker speaks 2/);
    const base = 'a'.repeat(40);
    assert.ok('data' in parseJobData({ ...data, results: { mode: 'patch', base } }));
    assert.ok('data' in parseJobData({ ...data, results: { mode: 'branch', base, remote: 'origin', branch: resultsBranchOf('T1.1', 7) } }));
    assert.match(
      (parseJobData({ ...data, results: { mode: 'patch', base: 'HEAD' } }) as { problem: string }).problem,
      /results\.base: expected a full commit id/,
    );
    assert.match(
      (parseJobData({ ...data, results: { mode: 'branch', base, remote: 'origin', branch: 'main' } }) as { problem: string }).problem,
      /results\.branch: expected coditect\/results/,
    );
    assert.match(
      (parseJobData({ ...data, results: { mode: 'patch', base, remote: '--upload-pack=evil' } }) as { problem: string }).problem,
      /results\.remote: a remote, not an option/,
    );
    assert.equal(resultsBranchOf('T001.002', 42), 'coditect/results/T001.002/attempt-42');
    assert.equal(resultsBranchOf('../x y.lock', 1), 'coditect/results/_x-y_/attempt-1');
    assert.match((parseJobData({ ...data, timeoutMs: -1 }) as { problem: string }).problem, /malformed job data at timeoutMs/);
    assert.match((parseJobData({ ...data, env: { KEY: 'x' } }) as { problem: string }).problem, /malformed job data at \(root\)/);
  });

  it("the coordinator takes only known, bounded fields of a worker's result", () => {
    const ok = { v: JOB_PROTOCOL, ok: true, result: { summary: 'done', tokensIn: 10 }, durationMs: 5, worker: 'w:1' };
    assert.deepEqual(parseJobResult(JSON.stringify(ok)), { result: ok });
    assert.match((parseJobResult({ ...ok, status: 'completed' }) as { problem: string }).problem, /malformed result/);
    assert.match((parseJobResult({ ...ok, result: { summary: 'x'.repeat(70_000) } }) as { problem: string }).problem, /malformed result \(result\.summary/);
    assert.match((parseJobResult({ ...ok, ok: false }) as { problem: string }).problem, /failed result without its reason/);
    assert.match((parseJobResult({ ...ok, stopped: 'marked' }) as { problem: string }).problem, /malformed result \(stopped/);
    assert.match((parseJobResult('{') as { problem: string }).problem, /not JSON/);
    const changes = { base: 'b'.repeat(40), commit: 'c'.repeat(40), files: ['a.txt'], patch: 'diff --git a/a.txt b/a.txt\n' };
    assert.deepEqual(parseJobResult({ ...ok, changes }), { result: { ...ok, changes } });
    assert.match((parseJobResult({ ...ok, changes: { ...changes, patch: 'x'.repeat(MAX_PATCH + 1) } }) as { problem: string }).problem, /changes\.patch/);
    assert.match((parseJobResult({ ...ok, changes: { ...changes, branch: 'main' } }) as { problem: string }).problem, /changes\.branch/);
  });
});
