/** A value as an error message shows it: `"x"` for a string, `an array`, else `String()`. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** An object that is not an array (nor `null`): what options and properties must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
