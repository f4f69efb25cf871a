import { strict as assert } from 'node:assert';
import { bodyProblem, HTTP_ROUTE_NAMES, HTTP_ROUTES, matchRoute, routePath, WEB_COMMAND_ROUTES } from '../../../src/protocol/httpApi';
import { DASHBOARD_COMMANDS } from '../../../src/protocol/webviewProtocol';

describe('HTTP API route table', () => {
  it('matches every declared route by method and path, ids decoded', () => {
    for (const name of HTTP_ROUTE_NAMES) {
      const r = HTTP_ROUTES[name];
      const path = r.path.includes(':id') ? routePath(name, 'T1.2/x y') : routePath(name);
      assert.deepEqual(matchRoute(r.method, path), r.path.includes(':id') ? { name, id: 'T1.2/x y' } : { name }, name);
    }
  });

  it('tells a path served with another method (405) from an unknown one (404)', () => {
    assert.deepEqual(matchRoute('GET', '/api/control/pause'), { pathExists: true });
    assert.deepEqual(matchRoute('DELETE', '/api/tasks/T1'), { pathExists: true });
    assert.deepEqual(matchRoute('GET', '/api/nope'), { pathExists: false });
    assert.deepEqual(matchRoute('GET', '/api/tasks/%E0%A4%A'), { pathExists: false }, 'a malformed escape is no id');
    assert.deepEqual(matchRoute('GET', '/api/tasks/'), { pathExists: false }, 'an empty id is no id');
  });

  it('declares each path once per method', () => {
    const keys = HTTP_ROUTE_NAMES.map((n) => `${HTTP_ROUTES[n].method} ${HTTP_ROUTES[n].path}`);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('validates bodies: objects only, known fields only, agent names only', () => {
    assert.equal(bodyProblem('none', 'anything'), undefined);
    assert.equal(bodyProblem('empty', {}), undefined);
    assert.match(bodyProblem('empty', []) ?? '', /JSON object/);
    assert.match(bodyProblem('empty', null) ?? '', /JSON object/);
    assert.match(bodyProblem('empty', { force: true }) ?? '', /unknown field\(s\) "force" \(this route takes \{\}\)/);
    assert.equal(bodyProblem('runTask', { agent: 'claude-code' }), undefined);
    assert.match(bodyProblem('runTask', { agent: 7 }) ?? '', /"agent" must be/);
    assert.match(bodyProblem('runTask', { agent: '../x' }) ?? '', /"agent" must be/);
    assert.match(bodyProblem('runTask', { agent: 'a', model: 'b' }) ?? '', /unknown field\(s\) "model" \(allowed: agent\)/);
    assert.equal(bodyProblem('note', {}), undefined);
    assert.equal(bodyProblem('note', { note: 'Use the v2 API' }), undefined);
    assert.match(bodyProblem('note', { note: 7 }) ?? '', /"note" must be text of at most 4000 characters, got 7/);
    assert.match(bodyProblem('note', { note: 'x'.repeat(4001) }) ?? '', /got 4001 characters/);
    assert.match(bodyProblem('note', { agent: 'a' }) ?? '', /unknown field\(s\) "agent" \(allowed: note\)/);
  });

  it('maps every dashboard command that acts on the engine to a POST route', () => {
    for (const [command, route] of Object.entries(WEB_COMMAND_ROUTES)) {
      assert.ok(Object.hasOwn(DASHBOARD_COMMANDS, command), command);
      assert.equal(HTTP_ROUTES[route].method, 'POST', command);
      const takesTask = HTTP_ROUTES[route].path.includes(':id');
      assert.equal(takesTask, DASHBOARD_COMMANDS[command as keyof typeof DASHBOARD_COMMANDS] === 'task', command);
    }
  });
});
