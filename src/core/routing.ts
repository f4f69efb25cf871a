// Which agent type a task goes to, and why. Pure core: runs on every dispatch, so the keyword map is stemmed once
// per map object (cached) and each task's text is tokenised and stemmed once per call.
//
// Rules, first match wins:
//   1. task-override    the task's own `Agent:` line;
//   2. config-override  `agent_priority_overrides` in the config (task id → agent);
//   3. keyword          every agent's keywords scored against the stemmed words of the task title (weight 3), its
//                       feature title (2) and its epic title (1); highest score wins, ties go to the agent listed
//                       first in the map;
//   4. epic-fallback    the config's epic id → agent map;
//   5. default          `defaultAgent` (`general-purpose` by default).
import type { EpicNode, FeatureNode, TaskNode } from './model';

/** Routing configuration. Treat as immutable once passed to `routeTask` (compiled keyword stems are cached per map). */
export interface RoutingConfig {
  /** Agent → keywords (single words or short phrases like "end to end"). Default: DEFAULT_AGENT_MAPPINGS. */
  agentMappings: Record<string, string[]>;
  /** Task id → agent (`agent_priority_overrides`). Default: {}. */
  priorityOverrides: Record<string, string>;
  /** Epic id → agent, used when no keyword matches. Default: PLAN_EPIC_FALLBACKS (E001 → backend, E008 → security). */
  epicFallbacks: Record<string, string>;
  /** Agent when nothing else applies. Default: `general-purpose`. */
  defaultAgent: string;
}

/** Why a task goes to an agent. */
export interface RoutingDecision {
  agent: string;
  rule: 'task-override' | 'config-override' | 'keyword' | 'epic-fallback' | 'default';
  /** One human-readable sentence, shown in the UI and the CLI. */
  reason: string;
  /** Keyword rule only: the winning agent's score. */
  score?: number;
  /** Keyword rule only: the winning agent's matched keywords, in map order. */
  matched?: string[];
}

/** The agent used when nothing else routes a task. */
export const DEFAULT_AGENT = 'general-purpose';

/** Score of a keyword found in the task title, its feature title, its epic title. A keyword counts once, at its best place. */
export const KEYWORD_WEIGHTS = { title: 3, feature: 2, epic: 1 } as const;

/**
 * The plan's AGENT_MAPPINGS (task-dispatcher.py), row for row and in its order: `"a|b|c": "agent"`. Each `|`
 * alternative is a keyword of that agent. The plan ran them as regular expressions over the description, first row
 * wins; here they are stemmed words scored per agent (see routeTask), so "deploy" matches the plan's "deployment" and
 * "ui" no longer matches inside "build".
 */
export const PLAN_AGENT_MAPPINGS: Readonly<Record<string, string>> = Object.freeze({
  // Infrastructure & DevOps
  'infrastructure|deployment|docker|kubernetes|gke|argocd': 'devops-engineer',
  'database|schema|migration|fdb|postgresql|redis': 'database-architect',
  // Security
  'security|authentication|oauth|jwt|secret|compliance|audit': 'security-specialist',
  'penetration|vulnerability|sast|dast': 'security-specialist',
  // Development
  'api|endpoint|backend|handler|middleware': 'backend-development',
  'ui|frontend|component|react|typescript|toon': 'frontend-development-agent',
  'test|validation|coverage|pytest': 'testing-specialist',
  // Quality & Performance
  'performance|optimization|latency|throughput': 'application-performance',
  'refactor|clean|tech debt': 'codebase-refactoring-specialist',
  // Documentation & Knowledge
  'documentation|guide|readme|tutorial': 'codi-documentation-writer',
  'onboarding|training|education': 'coditect-onboarding',
  // Specialized Systems
  'workflow|automation|bpmn|state machine': 'workflow-automation-specialist',
  'monitoring|metrics|prometheus|grafana|observability': 'observability-platform',
  'license|subscription|billing|stripe': 'license-management-specialist',
});

/** The plan's epic fallbacks (assign_task_to_agent): E001 Core Platform → backend, E008 Security → security. */
export const PLAN_EPIC_FALLBACKS: Readonly<Record<string, string>> = Object.freeze({ E001: 'backend-development', E008: 'security-specialist' });

/** Keywords the project adds to the plan's agents (after the plan's own): common words of the same trades. */
const MORE_KEYWORDS: Record<string, string[]> = {
  'devops-engineer': [
    'deploy',
    'container',
    'k8s',
    'helm',
    'terraform',
    'ci',
    'cd',
    'pipeline',
    'rabbitmq',
    'kafka',
    'nginx',
    'release',
    'rollout',
    'cluster',
    'provision',
    'github actions',
    'load balancer',
  ],
  'database-architect': ['sql', 'postgres', 'index', 'query', 'foundationdb', 'sqlite', 'table', 'data model', 'replication', 'partition', 'backup'],
  'security-specialist': ['encryption', 'encrypt', 'tls', 'rbac', 'permission', 'sso', 'saml', 'threat model', 'identity'],
  'backend-development': ['service', 'server', 'rest', 'graphql', 'grpc', 'auth', 'queue', 'worker', 'webhook', 'rate limit', 'websocket', 'scheduler'],
  'frontend-development-agent': ['page', 'css', 'layout', 'form', 'dashboard', 'vue', 'angular', 'webview', 'screen', 'accessibility', 'tailwind', 'view'],
  'testing-specialist': ['e2e', 'end to end', 'unit', 'qa', 'regression', 'load test', 'fixture', 'integration test', 'flaky'],
  'application-performance': ['benchmark', 'profiling', 'cache', 'memory leak'],
  'codebase-refactoring-specialist': ['cleanup', 'dead code', 'rename', 'simplify'],
  'codi-documentation-writer': ['docs', 'runbook', 'changelog', 'handbook', 'playbook'],
  'coditect-onboarding': ['walkthrough', 'quickstart'],
  'workflow-automation-specialist': ['orchestration', 'pipeline automation', 'cron'],
  'observability-platform': ['alerting', 'tracing', 'logging', 'dashboard metrics', 'slo'],
  'license-management-specialist': ['invoice', 'pricing', 'entitlement', 'seat'],
};

/** Agent → keywords from plan-style rows (`"a|b|c": "agent"`), agents in the order of their first row. */
export function keywordsFromPatterns(rows: Readonly<Record<string, string>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [pattern, agent] of Object.entries(rows)) {
    const words = pattern
      .split('|')
      .map((w) => w.trim())
      .filter((w) => w !== '');
    (out[agent] ??= []).push(...words.filter((w) => !out[agent].includes(w)));
  }
  return out;
}

/** The default keyword map: the plan's rows (its agents, its order: order breaks score ties), then the project's words. */
export const DEFAULT_AGENT_MAPPINGS: Record<string, string[]> = deepFreeze(
  Object.fromEntries(Object.entries(keywordsFromPatterns(PLAN_AGENT_MAPPINGS)).map(([agent, words]) => [agent, [...words, ...(MORE_KEYWORDS[agent] ?? [])]])),
);

/** Defaults for every routing option. */
export const DEFAULT_ROUTING_CONFIG: RoutingConfig = Object.freeze({
  agentMappings: DEFAULT_AGENT_MAPPINGS,
  priorityOverrides: Object.freeze({}) as Record<string, string>,
  epicFallbacks: PLAN_EPIC_FALLBACKS as Record<string, string>,
  defaultAgent: DEFAULT_AGENT,
});

function deepFreeze(map: Record<string, string[]>): Record<string, string[]> {
  for (const list of Object.values(map)) Object.freeze(list);
  return Object.freeze(map);
}

// ---- stemming -------------------------------------------------------------------------------------------------

const VOWEL = /[aeiouy]/;
/** Derivational suffixes, longest first, stripped repeatedly while the stem keeps ≥ 3 letters and a vowel. */
const DERIVATIONAL: readonly [string, string][] = [
  ['izations', ''],
  ['ization', ''],
  ['isation', ''],
  ['ational', 'ate'],
  ['fulness', ''],
  ['iveness', ''],
  ['ations', 'ate'],
  ['ation', 'ate'],
  ['ments', ''],
  ['ment', ''],
  ['ness', ''],
  ['able', ''],
  ['ible', ''],
  ['ance', ''],
  ['ence', ''],
  ['ity', ''],
  ['ful', ''],
  ['ive', ''],
  ['ize', ''],
  ['ise', ''],
  ['ate', ''],
  ['ers', ''],
  ['er', ''],
  ['ly', ''],
  ['al', ''],
];

/**
 * A small Porter-like suffix stripper. Not a linguistic stemmer: it only has to map the usual inflections of the
 * same word to one key, the same way for keywords and task text. Steps:
 *   0. lower-case; words of ≤ 3 letters or containing a digit (`api`, `k8s`, `e2e`) are kept as they are;
 *   1. plurals: `-ies` → `-y`, `-sses`/`-xes`/`-shes`/`-ches`/`-zzes` → drop `es`, other `-s` (not `-ss`, `-us`, `-is`) → drop;
 *   2. inflections: `-ing`, `-ed` (not `-eed`) when a vowel stays before them; then `-at`/`-iz`/`-bl` get their `e`
 *      back, or a doubled final consonant (not l, s, z) is undoubled: mapping → map, migrating → migrate;
 *   3. derivational suffixes (`-ation`, `-ment`, `-er`, `-ize`, `-ate`, `-ity`, …) repeatedly, keeping ≥ 3 letters;
 *   4. a final `-e` is dropped when ≥ 3 letters remain.
 * So deploy/deploys/deploying/deployed/deployment/deployer → `deploy`, migrate/migration/migrating → `migr`,
 * test/tests/testing/tested → `test`, query/queries → `query`.
 */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= 3 || /\d/.test(w)) return w;

  // 1. plurals
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (/(?:ss|x|sh|ch|zz)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);

  // 2. inflections
  const inflected = /^(.+?)(?:ing|ed)$/.exec(w);
  if (inflected && !w.endsWith('eed') && VOWEL.test(inflected[1]) && inflected[1].length >= 3) {
    w = inflected[1];
    if (/(?:at|iz|bl)$/.test(w)) w += 'e';
    else if (/([^aeiouylsz])\1$/.test(w)) w = w.slice(0, -1);
  }

  // 3. derivational suffixes, repeatedly (documentation → documentate → document → docu)
  for (let changed = true; changed;) {
    changed = false;
    for (const [suffix, repl] of DERIVATIONAL) {
      if (!w.endsWith(suffix)) continue;
      const base = w.slice(0, -suffix.length);
      const next = base + repl;
      if (base.length >= 3 && VOWEL.test(base) && next !== w) {
        w = next;
        changed = true;
      }
      break;
    }
  }

  // 4. final e
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

/** A markdown link's target (`](…)`), an autolink (`<https://…>`) or a bare URL: addresses, not words of the task. */
const LINK_TARGET_RE = /\]\([^)\s]*(?:[ \t]+"[^"]*")?\)|<[a-z][a-z0-9+.-]*:[^>\s]*>|\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/**
 * Splits text into stemmed words: letters and digits only, so "CI/CD" → ci, cd and "end-to-end" → end, to, end.
 * Link targets are left out: `[the talk](https://example.com/watch?v=1&index=2)` routes on "the talk", never on
 * "index" (a database word).
 */
function stems(text: string): string[] {
  const prose = text.includes(':') || text.includes('](') ? text.replace(LINK_TARGET_RE, ' ') : text;
  const words = prose.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.map(cachedStem);
}

// Stems of task words, cached because the same vocabulary is routed over and over; bounded so it cannot grow forever.
const STEM_CACHE_MAX = 20_000;
const stemCache = new Map<string, string>();
function cachedStem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
    s = stem(word);
    stemCache.set(word, s);
  }
  return s;
}

// ---- compiled keyword map -------------------------------------------------------------------------------------

interface CompiledKeyword {
  /** The keyword as written in the map (what `matched` reports). */
  keyword: string;
  /** Its stems; more than one for a phrase, matched as consecutive words. */
  stems: string[];
}
interface CompiledAgent {
  agent: string;
  keywords: CompiledKeyword[];
}

const compiledMaps = new WeakMap<Record<string, string[]>, CompiledAgent[]>();

/** Stems every keyword once per map object, dropping keywords that stem alike within one agent (test/tests/testing). */
function compile(mappings: Record<string, string[]>): CompiledAgent[] {
  const cached = compiledMaps.get(mappings);
  if (cached) return cached;
  if (mappings === null || typeof mappings !== 'object' || Array.isArray(mappings)) {
    throw new TypeError(`routing: agentMappings must be an object of agent → keywords, got ${JSON.stringify(mappings)}`);
  }
  const out: CompiledAgent[] = [];
  for (const [agent, keywords] of Object.entries(mappings)) {
    if (agent.trim() === '') throw new TypeError('routing: agentMappings has an empty agent name');
    if (!Array.isArray(keywords) || keywords.some((k) => typeof k !== 'string')) {
      throw new TypeError(`routing: agentMappings["${agent}"] must be an array of strings, got ${JSON.stringify(keywords)}`);
    }
    const seen = new Set<string>();
    const compiled: CompiledKeyword[] = [];
    for (const keyword of keywords) {
      const s = stems(keyword);
      if (s.length === 0) throw new TypeError(`routing: agentMappings["${agent}"] has a keyword without letters or digits: ${JSON.stringify(keyword)}`);
      const key = s.join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      compiled.push({ keyword, stems: s });
    }
    out.push({ agent, keywords: compiled });
  }
  compiledMaps.set(mappings, out);
  return out;
}

/** True when `seq` occurs as consecutive items of `words`. */
function containsSequence(words: string[], wordSet: ReadonlySet<string>, seq: string[]): boolean {
  if (seq.length === 1) return wordSet.has(seq[0]);
  outer: for (let i = 0; i + seq.length <= words.length; i++) {
    for (let k = 0; k < seq.length; k++) if (words[i + k] !== seq[k]) continue outer;
    return true;
  }
  return false;
}

// ---- routing --------------------------------------------------------------------------------------------------

/**
 * The agent type named for the task itself — its `Agent:` line, else `agent_priority_overrides` — which routeTask takes
 * before any keyword. Reading it costs no keyword matching, so it can be asked of every task of a big plan.
 */
export function namedAgentOf(task: TaskNode, config: Pick<RoutingConfig, 'priorityOverrides'>): string | undefined {
  return task.agent?.trim() || (Object.hasOwn(config.priorityOverrides, task.id) ? config.priorityOverrides[task.id]?.trim() : undefined) || undefined;
}

/** Routes one task to an agent type and records which rule decided and why. */
export function routeTask(task: TaskNode, context: { epic?: EpicNode; feature?: FeatureNode }, config: RoutingConfig): RoutingDecision {
  const named = namedAgentOf(task, config);
  if (named !== undefined) {
    return task.agent?.trim()
      ? { agent: named, rule: 'task-override', reason: `Agent: ${named} written on ${task.id}` }
      : { agent: named, rule: 'config-override', reason: `agent_priority_overrides maps ${task.id} to ${named}` };
  }

  const keyword = routeByKeywords(task, context, config.agentMappings);
  if (keyword) return keyword;

  const epicId = context.epic?.id ?? task.epicId;
  const fallback = Object.hasOwn(config.epicFallbacks, epicId) ? config.epicFallbacks[epicId]?.trim() : undefined;
  if (fallback) return { agent: fallback, rule: 'epic-fallback', reason: `no keyword matched; epic ${epicId} falls back to ${fallback}` };

  const agent = config.defaultAgent?.trim() || DEFAULT_AGENT;
  return { agent, rule: 'default', reason: `no override, keyword or epic fallback matched; default agent ${agent}` };
}

/** Each compiled map's keywords by their first stem: a task's words name the few keywords worth checking. */
const firstStemIndex = new WeakMap<CompiledAgent[], Map<string, { agent: number; keyword: number }[]>>();

function firstStems(compiled: CompiledAgent[]): Map<string, { agent: number; keyword: number }[]> {
  let index = firstStemIndex.get(compiled);
  if (index) return index;
  index = new Map();
  for (const [agent, a] of compiled.entries()) {
    for (const [keyword, k] of a.keywords.entries()) {
      const first = k.stems[0]!;
      let list = index.get(first);
      if (!list) index.set(first, (list = []));
      list.push({ agent, keyword });
    }
  }
  firstStemIndex.set(compiled, index);
  return index;
}

/**
 * The agent whose keywords score highest. Only the keywords whose first stem is one of the task's words are checked
 * (through an index): checking every keyword of every agent at three places for each of 10,000 tasks was seconds of
 * a big plan's open (#15).
 */
function routeByKeywords(task: TaskNode, context: { epic?: EpicNode; feature?: FeatureNode }, mappings: Record<string, string[]>): RoutingDecision | undefined {
  const places = [
    { words: stems(task.title), weight: KEYWORD_WEIGHTS.title },
    { words: context.feature ? stems(context.feature.title) : [], weight: KEYWORD_WEIGHTS.feature },
    { words: context.epic ? stems(context.epic.title) : [], weight: KEYWORD_WEIGHTS.epic },
  ].map((p) => ({ ...p, set: new Set(p.words) }));
  const compiled = compile(mappings);
  const index = firstStems(compiled);
  // Per agent, the keywords found (by their index in the agent's list) and the weight of the place each counts at.
  const found = new Map<number, Map<number, number>>();
  // A keyword counts once, at the most specific place it appears (title beats feature beats epic): places in order.
  for (const place of places) {
    for (const word of place.set) {
      for (const c of index.get(word) ?? []) {
        let byKeyword = found.get(c.agent);
        if (byKeyword?.has(c.keyword)) continue;
        if (!containsSequence(place.words, place.set, compiled[c.agent]!.keywords[c.keyword]!.stems)) continue;
        if (!byKeyword) found.set(c.agent, (byKeyword = new Map()));
        byKeyword.set(c.keyword, place.weight);
      }
    }
  }
  let best: { agent: string; score: number; matched: string[] } | undefined;
  for (const [i, { agent, keywords }] of compiled.entries()) {
    const byKeyword = found.get(i);
    if (!byKeyword) continue;
    let score = 0;
    const matched: string[] = [];
    // In the map's keyword order, as the reason lists them.
    for (const [k, weight] of [...byKeyword].sort((x, y) => x[0] - y[0])) {
      score += weight;
      matched.push(keywords[k]!.keyword);
    }
    // Strictly greater: on a tie the agent listed first in the map keeps the task.
    if (score > 0 && (!best || score > best.score)) best = { agent, score, matched };
  }
  if (!best) return undefined;
  return {
    agent: best.agent,
    rule: 'keyword',
    reason: `keywords ${best.matched.join(', ')} (score ${best.score})`,
    score: best.score,
    matched: best.matched,
  };
}
