// Helpers for this package's own tests (not exported, not bundled).

/** What a test needs from an answer. */
export interface PostResult {
  status: number;
  headers: Headers;
  body: unknown;
}

/** POSTs `body` (JSON-encoded unless it is a string) to `url + path`. */
export async function post(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): Promise<PostResult> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the test sees the text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A `/track` event as `@cohorly/core` and the Python SDK build it. */
export function trackBody(
  event: string,
  distinctId: string,
  extra: Record<string, unknown> = {},
  token = 'T',
): Record<string, unknown> {
  return {
    event,
    properties: {
      token,
      distinct_id: distinctId,
      time: 1_764_220_000_123,
      $insert_id: `${event}-${distinctId}-${JSON.stringify(extra)}`,
      $lib: 'node',
      $lib_version: '0.1.0',
      ...extra,
    },
  };
}
