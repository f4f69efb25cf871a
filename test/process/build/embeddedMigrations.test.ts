// The bundles carry their schema: code that opens the database, bundled with the plugin esbuild.mjs uses, creates
// every migration's tables in a folder with no migrations anywhere near it (a real bundle, run by a real node).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('migrations embedded in a bundle', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'coditect-embedded-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a bundle built with the plugin creates the latest schema with no migration folder anywhere', async () => {
    const { embedMigrations } = await import('../../../scripts/embedMigrations.mjs');
    const migrations = readdirSync(path.join(ROOT, 'src', 'engine', 'db', 'migrations')).filter((f) => f.endsWith('.sql'));
    const dist = path.join(dir, 'dist');
    mkdirSync(dist);
    const entry = path.join(dir, 'entry.ts');
    const dbModule = path.join(ROOT, 'src', 'engine', 'db', 'database');
    writeFileSync(
      entry,
      `import { openDatabase } from ${JSON.stringify(dbModule)};\nconst h = openDatabase(process.argv[2]);\nprocess.stdout.write(String(h.schemaVersion));\nh.close();\n`,
    );
    await esbuild.build({
      entryPoints: [entry],
      outfile: path.join(dist, 'entry.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['better-sqlite3'],
      logLevel: 'silent',
      plugins: [embedMigrations()],
    });
    assert.match(readFileSync(path.join(dist, 'entry.js'), 'utf8'), /CREATE TABLE/);
    const out = execFileSync(process.execPath, [path.join(dist, 'entry.js'), path.join(dir, 'bundled.db')], {
      env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
      encoding: 'utf8',
    });
    assert.equal(out, String(migrations.length));
  });
});
