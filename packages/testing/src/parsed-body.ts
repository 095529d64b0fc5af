/** A request body decoded as UTF-8 and parsed as JSON, when it could be. */
export interface ParsedBody {
  /** The body as text (invalid UTF-8 shown with replacement characters). */
  text: string;
  /** The parsed JSON; `undefined` when `problem` is set. */
  json: unknown;
  /** Why the body is not JSON, or `undefined` when it is. */
  problem: string | undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** Decodes and parses a body; never throws. */
export function parseBody(bytes: Uint8Array): ParsedBody {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { text: lenientUtf8.decode(bytes), json: undefined, problem: 'body is not valid UTF-8' };
  }
  try {
    return { text, json: JSON.parse(text), problem: undefined };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { text, json: undefined, problem: `invalid JSON: ${reason}` };
  }
}
