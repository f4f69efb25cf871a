// The schema migrations as files: `migrations/NNN_name.sql` beside this module. Run from source (tsx, the tests)
// they are read from that folder; in a bundle (dist/engine.js, dist/cli.js) the build replaces this module with one
// that holds their text (scripts/embedMigrations.mjs), so the bundled engine carries its schema and looks for no
// directory at run time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `.sql` file: its name and its text. */
export interface MigrationFile {
  name: string;
  sql: string;
}

/** The `.sql` files of `dir`, by name. */
export function migrationFilesIn(dir: string): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), 'utf8') }));
}

/** The migrations this build creates the schema with. */
export function migrationFiles(): MigrationFile[] {
  return migrationFilesIn(join(__dirname, 'migrations'));
}
