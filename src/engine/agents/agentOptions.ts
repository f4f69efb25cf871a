// Small validators for agent options: every error names the agent, the option and the bad value.

/** An integer option within [min, max], or its default when undefined. */
export function intOption(where: string, name: string, value: unknown, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${where}: ${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A finite number option within [min, max], or its default. */
export function numberOption(where: string, name: string, value: unknown, def: number, min: number, max = Number.MAX_VALUE): number {
  if (value === undefined) return def;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`${where}: ${name} must be a number between ${min} and ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A non-empty string option, or its default. */
export function stringOption(where: string, name: string, value: unknown, def: string): string;
export function stringOption(where: string, name: string, value: unknown, def?: string): string | undefined;
export function stringOption(where: string, name: string, value: unknown, def?: string): string | undefined {
  if (value === undefined) return def;
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${where}: ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/** An array-of-strings option, or its default. */
export function stringArrayOption(where: string, name: string, value: unknown, def: string[]): string[] {
  if (value === undefined) return def;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`${where}: ${name} must be an array of strings, got ${JSON.stringify(value)}`);
  }
  return [...value];
}

/** A boolean option, or its default. */
export function boolOption(where: string, name: string, value: unknown, def: boolean): boolean {
  if (value === undefined) return def;
  if (typeof value !== 'boolean') throw new TypeError(`${where}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** One of the allowed string values, or its default. */
export function enumOption<T extends string>(where: string, name: string, value: unknown, allowed: readonly T[], def: T): T {
  if (value === undefined) return def;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`${where}: ${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
