// Writing v2-work-items.json (`coditect export`): the document is built in src/core/workItems.ts from values only;
// this writes it atomically.
import { resolve } from 'node:path';
import type { WorkItemsDocument } from '../../core/workItems';
import { writeFileAtomic } from './atomicWrite';

/** Writes the document to `outPath` atomically (pretty JSON, a final newline); returns the absolute path and item count. */
export function writeWorkItems(outPath: string, doc: WorkItemsDocument): { path: string; count: number } {
  if (typeof outPath !== 'string' || outPath === '') throw new Error(`exportWorkItems: outPath must be a non-empty path, got ${String(outPath)}`);
  const path = resolve(outPath);
  writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(doc, null, 2)}\n`));
  return { path, count: doc.items.length };
}
