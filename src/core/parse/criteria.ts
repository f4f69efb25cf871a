// Which checkboxes are criteria, not work: those under a criteria heading, after a criteria label, or inside a
// Backlog.md acceptance-criteria block (docs/tasklist-format.md "Groups, optional tasks, criteria").

/** Headings and labels whose checkboxes are criteria unless the caller names others (ParseOptions.criteriaHeadings). */
export const DEFAULT_CRITERIA_HEADINGS: readonly string[] = [
  'Acceptance Criteria',
  'Success Criteria',
  'Definition of Done',
  'Exit Criteria',
  'Completion Criteria',
  'Done Criteria',
  'Done When',
];

/** A matcher built once per parse from the heading names. */
export class CriteriaNames {
  private readonly names: string[];
  constructor(names: readonly string[] = DEFAULT_CRITERIA_HEADINGS) {
    this.names = names.map(norm).filter((n) => n.length > 0);
  }

  /** A heading whose words contain a criteria name: `## ✅ Success Criteria`, `### Acceptance criteria (US1)`. */
  heading(text: string): boolean {
    if (this.names.length === 0) return false;
    const t = ` ${norm(text)} `;
    return this.names.some((n) => t.includes(` ${n} `));
  }

  /** A paragraph or bullet that is only a criteria label: `**Acceptance Criteria:**`, `Definition of Done:`. */
  label(text: string): boolean {
    const m = LABEL_RE.exec(text.trim());
    return m !== null && this.names.includes(norm(m[1]));
  }
}

const LABEL_RE = /^(?:\*\*|__)?[ \t]*([^*_:]{3,60}?)[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*(?:\*\*|__)?$/;

/** Lower case words, punctuation and emoji dropped: what two spellings of one heading share. */
function norm(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** `<!-- AC:BEGIN -->` / `<!-- DOD:BEGIN -->` opens a Backlog.md criteria block, `…:END -->` closes it. */
export function acBlockMarker(html: string): 'begin' | 'end' | undefined {
  const m = /<!--[ \t]*(?:AC|DOD)[ \t]*:[ \t]*(BEGIN|END)\b/i.exec(html);
  if (!m) return undefined;
  // A block holding both markers (`<!-- AC:BEGIN -->` and `<!-- AC:END -->` with nothing between) ends closed.
  return /(?:AC|DOD)[ \t]*:[ \t]*END\b/i.test(html) ? 'end' : m[1].toUpperCase() === 'BEGIN' ? 'begin' : 'end';
}
