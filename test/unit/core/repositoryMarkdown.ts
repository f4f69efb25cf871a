// The repository's own markdown as real input for the parser's differential tests: the dialect fixtures (the parse
// goldens' inputs), the shipped examples, the suites' workspaces, the README and the task-list format doc. One list,
// so every fast path is checked against the same files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The text of every markdown file above. */
export function repositoryMarkdown(): string[] {
  const root = join(__dirname, '..', '..', '..');
  const dialects = join(root, 'test', 'fixtures', 'dialects');
  return [
    ...readdirSync(dialects)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(dialects, f)),
    join(root, 'resources', 'examples', 'PROJECT-TASKLIST.md'),
    join(root, 'resources', 'examples', 'speckit', 'tasks.md'),
    join(root, 'test', 'integration', 'fixtures', 'workspace', 'PROJECT-TASKLIST.md'),
    join(root, 'test', 'e2e', 'fixtures', 'tidewater', 'TIDEWATER-TASKLIST.md'),
    join(root, 'README.md'),
    join(root, 'docs', 'tasklist-format.md'),
  ].map((f) => readFileSync(f, 'utf8'));
}
