import * as assert from 'node:assert/strict';
import type { EpicNode, FeatureNode, TaskNode } from '../../../src/core/model';
import {
  DEFAULT_AGENT,
  DEFAULT_AGENT_MAPPINGS,
  DEFAULT_ROUTING_CONFIG,
  PLAN_AGENT_MAPPINGS,
  PLAN_EPIC_FALLBACKS,
  routeTask,
  stem,
  type RoutingConfig,
} from '../../../src/core/routing';
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

    it('never scores words inside link targets: a URL query (&index=2) is no database work', () => {
      const withLink = routeTask(task('Watch [the onboarding talk](https://example.com/watch?v=1&index=2)'), {}, DEFAULT_ROUTING_CONFIG);
      const bare = routeTask(
        task('Watch the talk at https://example.com/watch?v=1&index=2 and <https://example.com/schema/index>'),
        {},
        DEFAULT_ROUTING_CONFIG,
      );
      for (const d of [withLink, bare]) assert.notEqual(d.agent, 'database-architect', d.reason);
      // The words of a link's text still count.
      assert.equal(routeTask(task('Add an [index on orders](https://example.com/x)'), {}, DEFAULT_ROUTING_CONFIG).agent, 'database-architect');
    });

    it('matches keywords on stems, not exact words', () => {
      const d = routeTask(task('Deploying containerized workers to Kubernetes'), {}, DEFAULT_ROUTING_CONFIG);
      assert.equal(d.agent, 'devops-engineer');
      assert.equal(d.rule, 'keyword');
      assert.deepEqual(d.matched, ['deployment', 'kubernetes', 'container']);
      assert.equal(d.score, 9);
      assert.equal(d.reason, 'keywords deployment, kubernetes, container (score 9)');
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
      assert.equal(d1.agent, 'frontend-development-agent');
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
      assert.equal(routeTask(task('end the run to end', { epicId: 'E099' }), {}, config({ agentMappings: { qa: ['end to end'] } })).rule, 'default');
    });

    it('falls back to the epic map when no keyword matches, then to the default agent', () => {
      const cfg = config({ epicFallbacks: { E007: 'research-analyst' } });
      const d = routeTask(task('Interview five pilot customers', { epicId: 'E007' }), {}, cfg);
      assert.deepEqual(d, { agent: 'research-analyst', rule: 'epic-fallback', reason: 'no keyword matched; epic E007 falls back to research-analyst' });
      assert.equal(routeTask(task('Interview customers'), { epic: epic('Discovery', 'E007') }, cfg).agent, 'research-analyst');
      const dflt = routeTask(task('Interview customers', { epicId: 'E099' }), {}, DEFAULT_ROUTING_CONFIG);
      assert.equal(dflt.agent, DEFAULT_AGENT);
      assert.equal(dflt.rule, 'default');
      assert.equal(routeTask(task('Interview customers', { epicId: 'E099' }), {}, config({ defaultAgent: 'generalist' })).agent, 'generalist');
    });

    it('routes typical plan tasks with the default map', () => {
      const cases: [string, string][] = [
        ['Set up RabbitMQ cluster with Helm', 'devops-engineer'],
        ['Implement gRPC service for tenant provisioning', 'backend-development'],
        ['Build task board React component', 'frontend-development-agent'],
        ['Design FoundationDB key layout and schema', 'database-architect'],
        ['Add TLS and secret rotation', 'security-specialist'],
        ['Raise unit test coverage to 80%', 'testing-specialist'],
        ['Write operator guide and README', 'codi-documentation-writer'],
        ['Reduce p99 latency of the hot path', 'application-performance'],
        ['Refactor the session module and pay down tech debt', 'codebase-refactoring-specialist'],
        ['Onboarding training for pilot customers', 'coditect-onboarding'],
        ['BPMN state machine for approvals', 'workflow-automation-specialist'],
        ['Prometheus metrics and Grafana panels', 'observability-platform'],
        ['Stripe billing for subscriptions', 'license-management-specialist'],
      ];
      for (const [title, agent] of cases) assert.equal(routeTask(task(title), {}, DEFAULT_ROUTING_CONFIG).agent, agent, title);
    });

    it('rejects a malformed keyword map with an error naming the bad value', () => {
      const bad = { devops: 'deploy' } as unknown as Record<string, string[]>;
      assert.throws(() => routeTask(task('x'), {}, config({ agentMappings: bad })), /agentMappings\["devops"\] must be an array of strings, got "deploy"/);
      assert.throws(() => routeTask(task('x'), {}, config({ agentMappings: { a: ['--'] } })), /keyword without letters or digits: "--"/);
    });

    it('ships a frozen default map of specialised agents', () => {
      assert.ok(Object.isFrozen(DEFAULT_AGENT_MAPPINGS) && Object.isFrozen(DEFAULT_AGENT_MAPPINGS['devops-engineer']));
      for (const agent of Object.keys(DEFAULT_AGENT_MAPPINGS)) assert.ok(DEFAULT_AGENT_MAPPINGS[agent].length >= 5, agent);
    });

    it("ships the plan's 14 AGENT_MAPPINGS rows: every alternative of every row, its 13 agent types in its order", () => {
      assert.equal(Object.keys(PLAN_AGENT_MAPPINGS).length, 14);
      assert.deepEqual(Object.keys(DEFAULT_AGENT_MAPPINGS), [
        'devops-engineer',
        'database-architect',
        'security-specialist',
        'backend-development',
        'frontend-development-agent',
        'testing-specialist',
        'application-performance',
        'codebase-refactoring-specialist',
        'codi-documentation-writer',
        'coditect-onboarding',
        'workflow-automation-specialist',
        'observability-platform',
        'license-management-specialist',
      ]);
      for (const [pattern, agent] of Object.entries(PLAN_AGENT_MAPPINGS)) {
        for (const word of pattern.split('|')) {
          assert.ok(DEFAULT_AGENT_MAPPINGS[agent].includes(word), `${word} → ${agent}`);
          // Each alternative alone routes to its row's agent (no other agent claims the plan's word).
          assert.equal(routeTask(task(word, { epicId: 'E099' }), {}, DEFAULT_ROUTING_CONFIG).agent, agent, word);
        }
      }
    });

    it("passes the plan's three dispatcher examples, also when E008 is titled Identity", () => {
      const infra = routeTask(task('Deploy RabbitMQ message bus', { id: 'T001.009', epicId: 'E001' }), { epic: epic('Core Platform') }, DEFAULT_ROUTING_CONFIG);
      assert.equal(infra.agent, 'devops-engineer');
      for (const e008 of [epic('Security', 'E008'), epic('Identity', 'E008')]) {
        const sec = routeTask(task('Setup GCP Identity Platform', { id: 'T008.001', epicId: 'E008' }), { epic: e008 }, DEFAULT_ROUTING_CONFIG);
        assert.equal(sec.agent, 'security-specialist', e008.title);
      }
      const misc = routeTask(task('Miscellaneous task', { id: 'T999.999', epicId: 'E999' }), {}, DEFAULT_ROUTING_CONFIG);
      assert.deepEqual([misc.agent, misc.rule], ['general-purpose', 'default']);
      // The plan's epic fallbacks themselves: no keyword, epic E001 → backend-development, E008 → security-specialist.
      const e1 = routeTask(task('Miscellaneous task', { epicId: 'E001' }), {}, DEFAULT_ROUTING_CONFIG);
      assert.deepEqual([e1.agent, e1.rule], ['backend-development', 'epic-fallback']);
      const e8 = routeTask(task('Miscellaneous task', { id: 'T008.009', epicId: 'E008' }), { epic: epic('Platform', 'E008') }, DEFAULT_ROUTING_CONFIG);
      assert.deepEqual([e8.agent, e8.rule], ['security-specialist', 'epic-fallback']);
      assert.deepEqual(PLAN_EPIC_FALLBACKS, { E001: 'backend-development', E008: 'security-specialist' });
    });
  });
});
