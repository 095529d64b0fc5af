import type { TestServer } from '@cohorly/testing';

/** The client's IP, as a proxy in front of the app reports it. */
export const CLIENT_IP = '203.0.113.77';

/** The browser's User-Agent. */
export const USER_AGENT = 'PrivacyProbe/9.9 (ua-secret-marker)';

/** The anonymous id: the one request value the SDK is configured to read by default. */
export const ANONYMOUS_ID = 'anon-visitor-42';

/** A query string with personal data, as sign-up and search links often carry. */
export const QUERY = '?email=query-secret-marker%40example.com';

/**
 * What a browser behind a proxy sends: a client IP, a User-Agent, a session cookie next to
 * the anonymous-id cookie, credentials and an app-specific header.
 */
export const REQUEST_HEADERS: Record<string, string> = {
  'x-forwarded-for': `${CLIENT_IP}, 10.0.0.1`,
  'x-real-ip': CLIENT_IP,
  'user-agent': USER_AGENT,
  cookie: `session=cookie-secret-marker; cohorly_anonymous_id=${ANONYMOUS_ID}; theme=dark-secret-marker`,
  authorization: 'Bearer auth-secret-marker',
  'x-api-key': 'custom-secret-marker',
  'x-tenant': 'tenant-secret-marker',
};

/** Values sent with the request that must never reach Cohorly unless configured. */
export const PRIVATE_VALUES = {
  ip: CLIENT_IP,
  userAgent: 'ua-secret-marker',
  query: 'query-secret-marker',
  sessionCookie: 'cookie-secret-marker',
  otherCookie: 'dark-secret-marker',
  authorization: 'auth-secret-marker',
  apiKey: 'custom-secret-marker',
  customHeader: 'tenant-secret-marker',
} as const;

/** Everything the Cohorly server received: each request's body and headers, as text. */
export function receivedText(server: TestServer): string {
  return server
    .requests()
    .map((request) => `${JSON.stringify(request.headers)}\n${request.body}`)
    .join('\n');
}

/** The names of the {@link PRIVATE_VALUES} found in what the Cohorly server received. */
export function leakedValues(server: TestServer): string[] {
  const text = receivedText(server);
  return Object.entries(PRIVATE_VALUES)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}
