// The deployment files a team applies as they are (resources/deploy): each Kubernetes document validated against the
// Kubernetes (and Prometheus Operator) schemas by kubernetes-models, the Dockerfile by dockerfile-utils' validator,
// and the rules that keep them true to the engine: one coordinator (single writer), the plan's env variables, non-root,
// probes that reach the loopback-only API, the alert rule's job name.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../../src/engine/config';

const DEPLOY = join(__dirname, '..', '..', '..', 'resources', 'deploy');
const K8S = join(DEPLOY, 'kubernetes');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}
interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}
interface PodDeployment extends Doc {
  spec: {
    replicas?: number;
    strategy?: { type?: string };
    template: { spec: { securityContext?: { runAsNonRoot?: boolean }; containers: Container[] } };
  };
}

/** The model class validating one kind (ES modules, loaded on demand). */
async function modelOf(doc: Doc): Promise<new (d: unknown) => { validate(): void }> {
  const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
  if (group === 'monitoring.coreos.com')
    return ((await import(`@kubernetes-models/prometheus-operator/${group}/${version}/${doc.kind}`)) as Record<string, never>)[doc.kind];
  const path = group === '' ? `kubernetes-models/${version}/${doc.kind}` : `kubernetes-models/${group}/${version}/${doc.kind}`;
  return ((await import(path)) as Record<string, never>)[doc.kind];
}

function documents(): { file: string; doc: Doc }[] {
  const out: { file: string; doc: Doc }[] = [];
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml'))) {
    for (const d of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
      assert.deepEqual(d.errors, [], `${file}: YAML errors`);
      out.push({ file, doc: d.toJS() as Doc });
    }
  }
  return out;
}

const deployment = (name: string) => documents().find((d) => d.doc.kind === 'Deployment' && d.doc.metadata.name === name)!.doc as PodDeployment;

describe('deployment files (resources/deploy)', function () {
  this.timeout(20_000);

  it('every Kubernetes document is valid against its schema', async () => {
    const docs = documents();
    assert.ok(docs.length >= 8, `only ${docs.length} documents`);
    for (const { file, doc } of docs) {
      const Model = await modelOf(doc);
      assert.ok(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
      assert.doesNotThrow(() => new Model(doc).validate(), `${file}: ${doc.kind} ${doc.metadata.name}`);
    }
  });

  it('the validation is real: a wrong field type is refused', async () => {
    const bad = structuredClone(deployment('coditect-coordinator')) as unknown as { spec: { replicas: unknown } };
    bad.spec.replicas = 'one';
    const Model = await modelOf(bad as unknown as Doc);
    assert.throws(() => new Model(bad).validate(), /replicas/);
  });

  it('one coordinator (single writer of context.db), recreated, never rolled beside another', () => {
    const c = deployment('coditect-coordinator');
    assert.equal(c.spec.replicas, 1);
    assert.equal(c.spec.strategy?.type, 'Recreate');
    const env = Object.fromEntries((c.spec.template.spec.containers[0].env ?? []).map((e) => [e.name, e.value ?? 'secret']));
    for (const name of ['DB_PATH', 'PROMETHEUS_PORT', 'REDIS_HOST']) assert.ok(env[name], `the plan's ${name} is set`);
    assert.equal(c.spec.template.spec.containers[0].args?.[0], 'daemon');
  });

  it("the coordinator's config puts the queue on Redis and metrics where Prometheus reaches them; the engine accepts it", () => {
    const c = deployment('coditect-coordinator');
    const args = c.spec.template.spec.containers[0].args ?? [];
    const file = args[args.indexOf('--config') + 1];
    assert.equal(file, '/config/config.json');
    const map = documents().find((d) => d.doc.kind === 'ConfigMap' && d.doc.metadata.name === 'coditect-coordinator-config')!.doc as Doc & {
      data: Record<string, string>;
    };
    const config = parseConfig(JSON.parse(map.data['config.json']), 'coordinator.yaml', { env: { REDIS_HOST: 'coditect-redis' } });
    assert.equal(config.queue.kind, 'redis', 'REDIS_HOST alone does not switch the queue on');
    assert.equal(config.metrics.host, '0.0.0.0');
  });

  it('pods run as non-root; the coordinator probes its loopback API from inside the pod; workers carry no database', () => {
    for (const name of ['coditect-coordinator', 'coditect-worker', 'coditect-redis'])
      assert.equal(deployment(name).spec.template.spec.securityContext?.runAsNonRoot, true, name);
    const c = deployment('coditect-coordinator').spec.template.spec.containers[0];
    assert.ok(c.args?.join(' ').includes('--http 127.0.0.1:8787'));
    for (const probe of [c.livenessProbe, c.readinessProbe]) assert.match(JSON.stringify(probe), /127\.0\.0\.1:8787\/healthz/);
    const w = deployment('coditect-worker').spec.template.spec.containers[0];
    assert.equal(w.args?.[0], 'worker');
    assert.ok(!(w.env ?? []).some((e) => e.name === 'DB_PATH'), 'a worker never opens context.db');
  });

  it('Prometheus scrapes the coordinator under the job name the shipped alert rule uses', () => {
    const sm = documents().find((d) => d.doc.kind === 'ServiceMonitor')!.doc;
    assert.match(JSON.stringify(sm.spec), /"replacement":"orchestrator"/);
    assert.match(readFileSync(join(DEPLOY, '..', 'monitoring', 'alerts.yml'), 'utf8'), /up\{job="orchestrator"\} == 0/);
  });

  it('the Dockerfile is valid, builds from Node 20 slim and runs as a non-root user in exec form', async () => {
    const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const { validate } = (await import('dockerfile-utils')) as typeof import('dockerfile-utils');
    const problems = validate(text);
    assert.deepEqual(
      problems.map((p) => `${p.range.start.line + 1}: ${typeof p.message === 'string' ? p.message : p.message.value}`),
      [],
    );
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    assert.ok(froms.length > 0 && froms.every((f) => /^node:20-[\w-]*slim$/.test(f)), froms.join(', '));
    const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    assert.ok(users.length > 0 && !['root', '0'].includes(users.at(-1)!), `final USER: ${users.at(-1)}`);
    assert.match(text, /^ENTRYPOINT \["node", /m, 'exec form: signals reach the engine (SIGTERM → graceful stop)');
    // The validator itself is real: a broken instruction is reported.
    assert.ok(validate('FROM node:20-slim\nEXPOSE notaport\n').length > 0);
  });
});
