import type { Plugin } from 'esbuild';
/** esbuild plugin embedding src/engine/db/migrations/*.sql in the bundle of src/engine/db/migrationFiles.ts. */
export function embedMigrations(): Plugin;
