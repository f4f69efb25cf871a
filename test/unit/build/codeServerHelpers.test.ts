import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';

// The pure parts of the code-server launcher; the launcher itself is proven by `npm run test:integration`.
describe('code-server launcher helpers', () => {
  let cs: typeof import('../../../scripts/vscodeTest/codeServer.mjs', { with: { 'resolution-mode': 'import' } });
  before(async () => {
    cs = await import('../../../scripts/vscodeTest/codeServer.mjs');
  });

  it('puts the folder in the query and the extension paths as vscode-remote URIs in the payload', () => {
    const url = new URL(
      cs.workbenchUrl({
        url: 'http://127.0.0.1:4321',
        folder: '/tmp/ws with space',
        extensionDevelopmentPath: '/repo',
        extensionTestsPath: '/repo/out/test/index.js',
      }),
    );
    assert.equal(url.origin, 'http://127.0.0.1:4321');
    assert.equal(url.searchParams.get('folder'), '/tmp/ws with space');
    assert.deepEqual(JSON.parse(url.searchParams.get('payload')!), [
      ['extensionDevelopmentPath', 'vscode-remote://127.0.0.1:4321/repo'],
      ['extensionTestsPath', 'vscode-remote://127.0.0.1:4321/repo/out/test/index.js'],
    ]);
  });

  it('leaves the payload out when neither extension path is given', () => {
    const url = new URL(cs.workbenchUrl({ url: 'http://127.0.0.1:4321', folder: '/ws' }));
    assert.equal(url.searchParams.has('payload'), false);
  });

  it('keys the install marker to the code-server version and this Node ABI', () => {
    assert.match(cs.expectedMarker(), new RegExp(`code-server ${cs.CODE_SERVER_VERSION.replace(/\./g, '\\.')} node-abi ${process.versions.modules} `));
  });

  it('gives the preferred port when it is free and another one when it is taken', async () => {
    const free = await cs.freePort();
    assert.equal(await cs.freePort(free), free);
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(free, '127.0.0.1', r));
    try {
      const other = await cs.freePort(free);
      assert.notEqual(other, free);
      assert.ok(other > 0);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});
