/**
 * Turns a message into JSON. The default, {@link jsonSerializer}, is `JSON.stringify`
 * (so `Date` becomes an ISO-8601 string); pass your own to encode other types, such as
 * `BigInt`.
 */
export type Serializer = (message: Record<string, unknown>) => string;

/** `JSON.stringify`: compact, and `Date` values as ISO-8601 strings via `Date#toJSON`. */
export const jsonSerializer: Serializer = (message) => JSON.stringify(message);

// Python's json.dumps escapes every character outside printable ASCII (ensure_ascii=True)
// as \uXXXX with lowercase hex. Doing the same keeps the bytes on the wire identical to the
// Python SDK's. JSON.stringify has already escaped control characters and lone surrogates.
const NON_ASCII = /[\u007f-\uffff]/g;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Serializes `message` with `serializer`, then escapes non-ASCII characters as the Python
 * SDK does. Throws a `TypeError` that names the method and the offending path when the
 * message cannot be serialized (a `BigInt`, a circular reference, a throwing `toJSON`).
 */
export function serializeMessage(
  message: Record<string, unknown>,
  serializer: Serializer,
  caller: string,
): string {
  let json: unknown;
  try {
    json = serializer(message);
  } catch (error) {
    throw new TypeError(`${caller}: ${describeUnserializable(message, error)}`, { cause: error });
  }
  if (typeof json !== 'string') {
    throw new TypeError(`${caller}: the serializer returned ${typeof json}, not a JSON string`);
  }
  NON_ASCII.lastIndex = 0;
  return NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeChar) : json;
}

/** Finds what made serialization fail, so the error can say where. Runs only on failure. */
function describeUnserializable(message: Record<string, unknown>, error: unknown): string {
  const found = findUnserializable(message, '', new Set());
  if (found) return `${found} cannot be serialized to JSON`;
  const reason = error instanceof Error ? error.message : String(error);
  return `the message cannot be serialized to JSON (${reason})`;
}

function findUnserializable(value: unknown, path: string, ancestors: Set<object>): string | null {
  const where = path || 'the message';
  if (typeof value === 'bigint') {
    return `${where} is a BigInt, which`;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (ancestors.has(value)) return `${where} is a circular reference, which`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    try {
      (value as { toJSON: (key: string) => unknown }).toJSON('');
    } catch {
      return `${where}.toJSON() throws, so it`;
    }
    return null;
  }
  ancestors.add(value);
  try {
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const childPath = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      const found = findUnserializable(child, childPath, ancestors);
      if (found) return found;
    }
  } finally {
    ancestors.delete(value);
  }
  return null;
}
