// The plan's four-point report an agent ends its answer with ("Execute this task and report: 1. What you did
// 2. Files changed 3. Tests run 4. Completion status"): the points declared once, asked for by the prompt
// (src/engine/agents/prompt.ts) and read back from the answer into the attempt row. Pure.
//
// The answer is an agent's, so it is untrusted: what is parsed here is recorded and shown, never acted on (a
// "Completion status: complete" does not complete a task; the engine's own checks do).

/** One point of the report: its key, the words the prompt asks with, and whether its value is a list. */
export interface ReportPoint {
  key: keyof AgentReport;
  label: string;
  list: boolean;
  /** What the prompt asks for under this point. */
  ask: string;
}

/** The plan's four points, in the plan's order. */
export const AGENT_REPORT_POINTS: readonly ReportPoint[] = [
  { key: 'whatYouDid', label: 'What you did', list: false, ask: 'a few sentences' },
  { key: 'filesChanged', label: 'Files changed', list: true, ask: 'one path per line, `- path`, or `none`' },
  { key: 'testsRun', label: 'Tests run', list: true, ask: 'one command per line with its result, `- npm test: passed`, or `none`' },
  { key: 'completionStatus', label: 'Completion status', list: false, ask: 'complete, partial or blocked, and why' },
];

/** The report as read from an answer; a point the answer does not give is absent. */
export interface AgentReport {
  whatYouDid?: string;
  filesChanged?: string[];
  testsRun?: string[];
  completionStatus?: string;
}

/** Caps: the answer is untrusted and may be huge. */
const MAX_ITEMS = 200;
const MAX_ITEM_CHARS = 500;
const MAX_TEXT_CHARS = 2000;

const LABELS = AGENT_REPORT_POINTS.map((p) => p.label.replace(/ /g, '\\s+')).join('|');
// `2. Files changed:`, `## Files changed`, `**Files changed:**`, `- **2. Files changed** -`, `Files changed: a.ts`…
const HEADER = new RegExp(
  `^\\s*(?:[-*]\\s+)?(?:#{1,6}\\s*)?(?:\\*\\*|__)?\\s*(?:\\d[.)]\\s*)?(?:\\*\\*|__)?\\s*(${LABELS})\\s*(?:\\*\\*|__)?\\s*[:\\-–—]?\\s*(?:\\*\\*|__)?\\s*(.*)$`,
  'i',
);
const BULLET = /^\s*(?:[-*•+]|\d+[.)])\s+(.*)$/;
const NOTHING = /^(none|n\/a|nothing|no files?( changed)?|no tests?( run)?|-|—)\.?$/i;

const pointOf = (label: string): ReportPoint => AGENT_REPORT_POINTS.find((p) => p.label.toLowerCase() === label.replace(/\s+/g, ' ').toLowerCase())!;

const clean = (s: string): string =>
  s
    .trim()
    .replace(/^`([^`]*)`/, '$1')
    .replace(/^\*\*(.*)\*\*$/, '$1')
    .trim();

/** The lines up to the first blank line after some text: a point's own paragraph, not the prose after the report. */
function paragraph(body: string[], started: boolean): string[] {
  const out: string[] = [];
  for (const l of body) {
    if (l.trim() === '') {
      if (started || out.length > 0) break;
      continue;
    }
    out.push(l);
  }
  return out;
}

function listOf(inline: string, body: string[]): string[] {
  const bullets = paragraph(body, false)
    .map((l) => BULLET.exec(l)?.[1])
    .filter((v): v is string => v !== undefined);
  const raw = bullets.length > 0 ? bullets : [inline, ...(inline ? [] : paragraph(body, false))].join(', ').split(/[,;]\s*/);
  const items = raw
    .map((v) => BULLET.exec(v)?.[1] ?? v)
    .map(clean)
    .filter((v) => v !== '' && !NOTHING.test(v));
  return items.slice(0, MAX_ITEMS).map((v) => v.slice(0, MAX_ITEM_CHARS));
}

/**
 * Reads the four-point report from an agent's answer. The last occurrence of each point wins (an answer may quote the
 * request before answering it). Undefined when the answer has none of the points.
 */
export function parseAgentReport(text: string | undefined): AgentReport | undefined {
  if (!text) return undefined;
  const lines = text.split(/\r?\n/);
  const found = new Map<ReportPoint, { inline: string; body: string[] }>();
  let current: { inline: string; body: string[] } | undefined;
  for (const line of lines) {
    const h = HEADER.exec(line);
    if (h) {
      current = { inline: h[2].replace(/\*\*|__/g, '').trim(), body: [] };
      found.set(pointOf(h[1]), current);
      continue;
    }
    if (current && /^\s*(#{1,6}\s|---\s*$)/.test(line))
      current = undefined; // another section ends the report
    else current?.body.push(line);
  }
  if (found.size === 0) return undefined;
  const report: AgentReport = {};
  for (const [point, { inline, body }] of found) {
    if (point.list) {
      report[point.key as 'filesChanged' | 'testsRun'] = listOf(inline, body);
      continue;
    }
    const own = point.key === 'completionStatus' ? paragraph(body, inline !== '') : body;
    const textValue = [inline, ...own.map((l) => l.trim())]
      .filter(Boolean)
      .join(point.key === 'completionStatus' ? ' ' : '\n')
      .trim();
    if (textValue) report[point.key as 'whatYouDid' | 'completionStatus'] = textValue.slice(0, MAX_TEXT_CHARS);
  }
  return report;
}
