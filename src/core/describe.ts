// How an unknown value reads inside a message. A caught value is not always an Error (a library may throw a string
// or reject with an object), and `(e as Error).message` then prints `undefined`; JSON parsed from an agent's output
// may hold an object where a string was expected, and `String(v)` then prints `[object Object]`.

/** The message of a caught value: an Error's `message`, anything else as text. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : textOf(e);
}

/** A value from parsed JSON as text: strings as they are, anything else as JSON (never `[object Object]`). */
export function textOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
    case 'undefined':
      return String(value);
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'object':
      try {
        return JSON.stringify(value);
      } catch {
        return '[unserialisable object]'; // cyclic, or holding a bigint
      }
  }
}
