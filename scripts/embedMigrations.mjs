// esbuild plugin: bundles src/engine/db/migrationFiles.ts with the text of every src/engine/db/migrations/*.sql
// read at build time, in place of the run-time read of that folder (which a bundle, moved into dist/ or a VSIX, no
// longer has beside it). The files are watched, so --watch rebuilds on a new or changed migration.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The statement of migrationFiles() the plugin replaces; the build fails if the module no longer has it. */
const RUNTIME_READ = "return migrationFilesIn(join(__dirname, 'migrations'));";

/** @returns {import('esbuild').Plugin} */
export function embedMigrations() {
  return {
    name: 'embed-migrations',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]engine[\\/]db[\\/]migrationFiles\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(RUNTIME_READ)) {
          return { errors: [{ text: `embed-migrations: ${args.path} no longer contains ${RUNTIME_READ}; update scripts/embedMigrations.mjs` }] };
        }
        const dir = join(args.path, '..', 'migrations');
        const names = readdirSync(dir)
          .filter((f) => f.endsWith('.sql'))
          .sort();
        const files = names.map((name) => ({ name, sql: readFileSync(join(dir, name), 'utf8') }));
        return {
          contents: source.replace(RUNTIME_READ, `return ${JSON.stringify(files)};`),
          loader: 'ts',
          watchFiles: names.map((n) => join(dir, n)),
          watchDirs: [dir],
        };
      });
    },
  };
}
