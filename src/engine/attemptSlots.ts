// The attempts running now and the limits on them: at most `maxConcurrent` in all and `maxPerType[t]` of agent type
// t. This is the one count of running attempts (BullMQ's worker keeps its own concurrency the same way): the
// dispatcher asks `full()` before it starts one, adds it here when it starts and deletes it when it settles, so the
// limits hold by construction. (Until this, a p-queue pool kept a second count with the global limit only; it never
// queued a job, since admission had already checked, except for the moment a settling attempt was counted by one and
// not the other, when it delayed the next start for no reason.)

/** Limits on running attempts (config `max_concurrent_agents`, `agent_limits.max_per_type`). */
export interface SlotLimits {
  maxConcurrent: number;
  /** Per agent type; a type not named has only the global limit; 0 holds the type back. */
  maxPerType: Readonly<Record<string, number>>;
}

/** Running attempts by task id, counted in all and per agent type, under SlotLimits. */
export class AttemptSlots<A extends { taskId: string; agentType: string }> {
  private readonly byTask = new Map<string, A>();
  private readonly perType = new Map<string, number>();
  private limits: SlotLimits;

  constructor(limits: SlotLimits) {
    this.limits = checked(limits);
  }

  /** New limits (a settings reload): they apply to the next starts; running attempts go on. */
  setLimits(limits: SlotLimits): void {
    this.limits = checked(limits);
  }

  /** Attempts running. */
  get size(): number {
    return this.byTask.size;
  }

  has(taskId: string): boolean {
    return this.byTask.has(taskId);
  }

  get(taskId: string): A | undefined {
    return this.byTask.get(taskId);
  }

  values(): IterableIterator<A> {
    return this.byTask.values();
  }

  /** Running attempts per agent type (types with none left out). */
  byType(): Record<string, number> {
    return Object.fromEntries(this.perType);
  }

  /**
   * Why one more attempt (of `agentType`, when given) may not start now — the global limit, then the type's — or
   * undefined when a slot is free.
   */
  full(agentType?: string): string | undefined {
    const { maxConcurrent, maxPerType } = this.limits;
    if (this.byTask.size >= maxConcurrent) return `the global limit of ${maxConcurrent} running agents is reached`;
    if (agentType === undefined) return undefined;
    const max = maxPerType[agentType];
    if (max !== undefined && (this.perType.get(agentType) ?? 0) >= max) return `the limit of ${max} running ${agentType} agents is reached`;
    return undefined;
  }

  /** An attempt started. A task runs at most one attempt at a time. */
  add(attempt: A): void {
    if (this.byTask.has(attempt.taskId)) throw new Error(`AttemptSlots.add: ${attempt.taskId} already has a running attempt`);
    this.byTask.set(attempt.taskId, attempt);
    this.perType.set(attempt.agentType, (this.perType.get(attempt.agentType) ?? 0) + 1);
  }

  /** The attempt of `taskId` ended: its slot frees. Returns it, or undefined when none ran. */
  delete(taskId: string): A | undefined {
    const a = this.byTask.get(taskId);
    if (!a) return undefined;
    this.byTask.delete(taskId);
    const n = (this.perType.get(a.agentType) ?? 1) - 1;
    if (n > 0) this.perType.set(a.agentType, n);
    else this.perType.delete(a.agentType);
    return a;
  }
}

function checked(l: SlotLimits): SlotLimits {
  if (!(Number.isInteger(l?.maxConcurrent) && l.maxConcurrent >= 1))
    throw new RangeError(`AttemptSlots: maxConcurrent must be an integer ≥ 1, got ${String(l?.maxConcurrent)}`);
  for (const [t, n] of Object.entries(l.maxPerType ?? {}))
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`AttemptSlots: the limit of agent type ${t} must be an integer ≥ 0, got ${String(n)}`);
  return { maxConcurrent: l.maxConcurrent, maxPerType: { ...(l.maxPerType ?? {}) } };
}
