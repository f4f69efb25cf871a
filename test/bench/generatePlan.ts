// Deterministic generator of large, realistic task lists for the benchmark (and for tests that need size).
// Shape: epics → features → tasks with priorities, estimates, and dependencies pointing backwards only (a DAG),
// some within the feature (chains) and some across features, like a real plan.
import { mulberry32 } from '../../src/engine/agents/dryRunAgent';

/** Options of generateTaskList. */
export interface GenerateOptions {
  tasks: number;
  /** Features per epic. Default 10. */
  featuresPerEpic?: number;
  /** Tasks per feature. Default 20. */
  tasksPerFeature?: number;
  /** Probability that a task depends on the previous task of its feature. Default 0.5. */
  chainProbability?: number;
  /** Probability of one extra dependency on a random earlier task. Default 0.2. */
  crossProbability?: number;
  /** PRNG seed. Default 42. */
  seed?: number;
  /** Line ending. Default '\n'. */
  eol?: '\n' | '\r\n';
}

const VERBS = ['Deploy', 'Implement', 'Write tests for', 'Design', 'Document', 'Refactor', 'Configure', 'Benchmark', 'Migrate', 'Review'];
const NOUNS = [
  'message bus',
  'auth service',
  'REST API',
  'database schema',
  'CI pipeline',
  'dashboard UI',
  'rate limiter',
  'search index',
  'billing webhook',
  'audit log',
];

/** A markdown task list with `tasks` tasks; returns the text and the ids in document order. */
export function generateTaskList(opts: GenerateOptions): { text: string; ids: string[] } {
  const fpe = opts.featuresPerEpic ?? 10;
  const tpf = opts.tasksPerFeature ?? 20;
  const chain = opts.chainProbability ?? 0.5;
  const cross = opts.crossProbability ?? 0.2;
  const eol = opts.eol ?? '\n';
  const rnd = mulberry32(opts.seed ?? 42);
  const lines: string[] = ['# Generated plan', '', 'A synthetic plan for the benchmark.', ''];
  const ids: string[] = [];
  let n = 0;
  for (let e = 1; n < opts.tasks; e++) {
    const eid = `E${String(e).padStart(3, '0')}`;
    lines.push(`## ${eid}: Epic ${e}`, '');
    for (let f = 1; f <= fpe && n < opts.tasks; f++) {
      const fid = `F${String(e).padStart(3, '0')}.${String(f).padStart(2, '0')}`;
      lines.push(`### ${fid}: Feature ${e}.${f}`, '');
      let prev: string | undefined;
      for (let t = 1; t <= tpf && n < opts.tasks; t++, n++) {
        const tid = `T${String(e).padStart(3, '0')}.${String((f - 1) * tpf + t).padStart(3, '0')}`;
        const p = `P${Math.floor(rnd() * 4)}`;
        const h = 1 + Math.floor(rnd() * 16);
        const title = `${VERBS[Math.floor(rnd() * VERBS.length)]} ${NOUNS[Math.floor(rnd() * NOUNS.length)]} ${n + 1}`;
        lines.push(`- [ ] **${tid}** ${title} (${p}, ${h}h)`);
        const deps: string[] = [];
        if (prev && rnd() < chain) deps.push(prev);
        if (ids.length > 10 && rnd() < cross) {
          const d = ids[Math.floor(rnd() * (ids.length - 1))];
          if (!deps.includes(d)) deps.push(d);
        }
        if (deps.length) lines.push(`  - Depends on: ${deps.join(', ')}`);
        ids.push(tid);
        prev = tid;
      }
      lines.push('');
    }
  }
  return { text: lines.join(eol), ids };
}
