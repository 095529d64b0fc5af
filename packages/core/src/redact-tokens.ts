// Every token a payload carries: `"token":"…"` as this SDK serializes it (JSON-escaped).
const TOKEN_IN_PAYLOAD = /"token":"((?:[^"\\]|\\.)*)"/g;
// Any token-like field in an answer, whichever token it holds.
const TOKEN_FIELD = /(\\?"token\\?"\s*:\s*\\?")[^"\\]*/g;
// Shorter tokens are test fixtures; masking them would garble ordinary words in messages.
const MIN_TOKEN_LENGTH = 4;
// What a token's place holds once masked.
const MASK = '<redacted>';

/** The project tokens a serialized payload carries, in their raw and JSON-escaped forms. */
function tokensOf(payload: string): Set<string> {
  const found = new Set<string>();
  for (const match of payload.matchAll(TOKEN_IN_PAYLOAD)) {
    const escaped = match[1]!;
    if (escaped.length < MIN_TOKEN_LENGTH) continue;
    found.add(escaped);
    try {
      found.add(JSON.parse(`"${escaped}"`) as string);
    } catch {
      // Not valid JSON text: the escaped form is masked all the same.
    }
  }
  return found;
}

/**
 * Masks, in a server's answer, every project token that `payload` carried (wherever and
 * however the answer quotes it: raw, in JSON, in JSON quoted as a string) and any
 * `"token": "…"` field. Error messages and logs quote answers; tokens must never reach them.
 */
export function redactTokens(answer: string, payload: string): string {
  let safe = answer;
  for (const token of tokensOf(payload)) safe = safe.split(token).join(MASK);
  return safe.replace(TOKEN_FIELD, `$1${MASK}`);
}

/**
 * Masked `text` without what follows its last mask, up to as many characters as the payload's
 * longest token has: an answer cut short may end with the first part of a token, which
 * masking left as it is. That end is quoted only when masking shrank all the rest to a few
 * hundred characters (an answer of nothing but long tokens).
 */
export function withoutUnfinishedToken(text: string, payload: string): string {
  let longest = 0;
  for (const match of payload.matchAll(TOKEN_IN_PAYLOAD)) {
    longest = Math.max(longest, match[1]!.length);
  }
  const mask = text.lastIndexOf(MASK);
  const masked = mask === -1 ? 0 : mask + MASK.length;
  return text.slice(0, Math.max(masked, text.length - longest));
}
