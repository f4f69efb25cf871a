import * as assert from 'node:assert/strict';
import type { EpicNode, FeatureNode, TaskNode } from '../../../src/core/model';
import { DEFAULT_AGENT, DEFAULT_AGENT_MAPPINGS, DEFAULT_ROUTING_CONFIG, routeTask, stem, type RoutingConfig } from '../../../src/core/routing';
import { taskList } from './taskListBuilder';

function task(title: string, extra: { id?: string; agent?: string; epicId?: string } = {}): TaskNode {
  return taskList([{ id: extra.id ?? 'T001.001', title, agent: extra.agent, epicId: extra.epicId }]).tasks[0];
}
const epic = (title: string, id = 'E001'): EpicNode => ({ id, idExplicit: true, title, line: 0 });
const feature = (title: string): FeatureNode => ({ id: 'F001.01', idExplicit: true, epicId: 'E001', title, line: 1 });
const config = (over: Partial<RoutingConfig> = {}): RoutingConfig => ({ ...DEFAULT_ROUTING_CONFIG, ...over });

describe('routing', () => {
  describe('stem', () => {
    it('maps the inflections of a word to one stem', () => {
      const groups = [
        ['deploy', 'deploys', 'deploying', 'deployed', 'deployment', 'deployments'],
        ['migrate', 'migration', 'migrations', 'migrating', 'migrated'],
        ['test', 'tests', 'testing', 'tested'],
        ['query', 'queries', 'querying'],
        ['index', 'indexes', 'indexing'],
        ['container', 'containers', 'containerized'],
        ['map', 'mapping', 'mapped'],
        ['validate', 'validation', 'validating'],
        ['Monitoring', 'MONITOR', 'monitors'],
      ];
      for (const g of groups) {
        const stems = new Set(g.map(stem));
        assert.equal(stems.size, 1, `${g.join('/')} → ${[...stems].join(', ')}`);
      }
    });

    it('keeps short words and words with digits, and does not strip into nothing', () => {
      for (const w of ['api', 'ci', 'k8s', 'e2e', 'oauth2', 'ui']) assert.equal(stem(w), w.toLowerCase());
      assert.equal(stem('string'), 'string', 'no vowel would remain before -ing');
      assert.equal(stem('status'), 'status');
      assert.equal(stem('class'), 'class');
      assert.equal(stem('speed'), 'speed');
      assert.equal(stem('user'), 'user');
      assert.notEqual(stem('deploy'), stem('depot'));
    });
  });

  describe('routeTask', () => {
    it('a task Agent: line wins over everything', () => {
      const d = routeTask(task('Deploy the API', { agent: 'my-agent' }), {}, config({ priorityOverrides: { 'T001.001': 'other' } }));
      assert.deepEqual(d, { agent: 'my-agent', rule: 'task-override', reason: 'Agent: my-agent written on T001.001' });
    });

    it('then agent_priority_overrides from the config', () => {
      const d = routeTask(task('Deploy the API'), {}, config({ priorityOverrides: { 'T001.001': 'senior-architect' } }));
      assert.equal(d.agent, 'senior-architect');
      assert.equal(d.rule, 'config-override');
      assert.match(d.reason, /agent_priority_overrides maps T001.001 to senior-architect/);
      assert.equal(routeTask(task('Deploy', { id: 'T2' }), {}, config({ priorityOverrides: { 'T001.001': 'x' } })).rule, 'keyword');
    });

    it('matches keywords on stems, not exact words', () => {
      const d = routeTask(task('Deploying containerized workers to Kubernetes'), {}, DEFAULT_ROUTING_CONFIG);
      assert.equal(d.agent, 'devops-engineer');
      assert.equal(d.rule, 'keyword');
      assert.deepEqual(d.matched, ['deploy', 'container', 'kubernetes']);
      assert.equal(d.score, 9);
      assert.equal(d.reason, 'keywords deploy, container, kubernetes (score 9)');
    });

    it('scores every agent instead of taking the first match', () => {
      // devops (listed first) matches once; database matches three times.
      const d = routeTask(task('Pipeline for schema migrations and index rebuilds'), {}, DEFAULT_ROUTING_CONFIG);
      assert.equal(d.agent, 'database-architect');
      assert.deepEqual(d.matched, ['schema', 'migration', 'index']);
    });

    it('weights the title above the feature and the feature above the epic', () => {
      // "dashboard" in the title (3) beats "api" + "endpoint" in the epic (1 + 1).
      const d1 = routeTask(task('Usage dashboard'), { epic: epic('API endpoints') }, DEFAULT_ROUTING_CONFIG);
      assert.equal(d1.agent, 'frontend-development');
      assert.equal(d1.score, 3);
      // Same words in the feature (2 + 2) now win.
      const d2 = routeTask(task('Usage dashboard'), { feature: feature('API endpoints') }, DEFAULT_ROUTING_CONFIG);
      assert.equal(d2.agent, 'backend-development');
      assert.equal(d2.score, 4);
      // A keyword counts once, at its best place.
      const d3 = routeTask(task('Docker image'), { feature: feature('Docker'), epic: epic('Docker') }, DEFAULT_ROUTING_CONFIG);
      assert.equal(d3.score, 3);
    });

    it('counts keywords that share a stem once', () => {
      const d = routeTask(task('Test the tests of testing'), {}, config({ agentMappings: { qa: ['test', 'tests', 'testing'] } }));
      assert.equal(d.score, 3);
      assert.deepEqual(d.matched, ['test']);
    });

    it('breaks ties by map order', () => {
      const mappings = { first: ['alpha'], second: ['beta'] };
      assert.equal(routeTask(task('alpha beta'), {}, config({ agentMappings: mappings })).agent, 'first');
      const swapped = { second: ['beta'], first: ['alpha'] };
      assert.equal(routeTask(task('alpha beta'), {}, config({ agentMappings: swapped })).agent, 'second');
    });

    it('matches multi-word keywords as consecutive words only', () => {
      const d = routeTask(task('Write end-to-end checks'), {}, DEFAULT_ROUTING_CONFIG);
      assert.equal(d.agent, 'testing-specialist');
      assert.deepEqual(d.matched, ['end to end']);
      assert.equal(routeTask(task('end the run to end'), {}, config({ agentMappings: { qa: ['end to end'] } })).rule, 'default');
    });

    it('falls back to the epic map when no keyword matches, then to the default agent', () => {
      const cfg = config({ epicFallbacks: { E007: 'research-analyst' } });
      const d = routeTask(task('Interview five pilot customers', { epicId: 'E007' }), {}, cfg);
      assert.deepEqual(d, { agent: 'research-analyst', rule: 'epic-fallback', reason: 'no keyword matched; epic E007 falls back to research-analyst' });
      assert.equal(routeTask(task('Interview customers'), { epic: epic('Discovery', 'E007') }, cfg).agent, 'research-analyst');
      const dflt = routeTask(task('Interview customers'), {}, DEFAULT_ROUTING_CONFIG);
      assert.equal(dflt.agent, DEFAULT_AGENT);
      assert.equal(dflt.rule, 'default');
      assert.equal(routeTask(task('Interview customers'), {}, config({ defaultAgent: 'generalist' })).agent, 'generalist');
    });

    it('routes typical plan tasks with the default map', () => {
      const cases: [string, string][] = [
        ['Set up RabbitMQ cluster with Helm', 'devops-engineer'],
        ['Implement gRPC service for tenant provisioning', 'backend-development'],
        ['Build task board React component', 'frontend-development'],
        ['Design FoundationDB key layout and schema', 'database-architect'],
        ['Add TLS and secret rotation', 'security-specialist'],
        ['Raise unit test coverage to 80%', 'testing-specialist'],
        ['Write operator guide and README', 'documentation-writer'],
        ['Prompt templates and embedding cache for the LLM', 'ai-specialist'],
      ];
      for (const [title, agent] of cases) assert.equal(routeTask(task(title), {}, DEFAULT_ROUTING_CONFIG).agent, agent, title);
    });

    it('rejects a malformed keyword map with an error naming the bad value', () => {
      const bad = { devops: 'deploy' } as unknown as Record<string, string[]>;
      assert.throws(() => routeTask(task('x'), {}, config({ agentMappings: bad })), /agentMappings\["devops"\] must be an array of strings, got "deploy"/);
      assert.throws(() => routeTask(task('x'), {}, config({ agentMappings: { a: ['--'] } })), /keyword without letters or digits: "--"/);
    });

    it('ships a frozen default map of specialised agents', () => {
      assert.ok(Object.isFrozen(DEFAULT_AGENT_MAPPINGS) && Object.isFrozen(DEFAULT_AGENT_MAPPINGS['ai-specialist']));
      for (const agent of [
        'devops-engineer',
        'backend-development',
        'frontend-development',
        'database-architect',
        'security-specialist',
        'testing-specialist',
        'documentation-writer',
        'ai-specialist',
      ]) {
        assert.ok(DEFAULT_AGENT_MAPPINGS[agent].length >= 5, agent);
      }
    });
  });
});
