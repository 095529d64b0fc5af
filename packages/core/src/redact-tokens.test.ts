import { describe, expect, it } from 'vitest';
import { redactTokens } from './redact-tokens.js';

const TOKEN = 'proj_4f9a1c2e7b';
const payload = JSON.stringify([{ event: 'E', properties: { token: TOKEN, distinct_id: 'u' } }]);

describe('redactTokens', () => {
  it.each([
    ['the payload echoed as JSON', JSON.stringify({ error: 'bad', item: JSON.parse(payload)[0] })],
    ['the payload quoted as a JSON string', JSON.stringify({ error: 'bad', raw: payload })],
    ['plain text naming the token', `unknown project token ${TOKEN}; check your settings`],
    ['a token field with spaces', `{"token" : "${TOKEN}"}`],
  ])('masks the token in %s', (_case, answer) => {
    const safe = redactTokens(answer, payload);
    expect(safe).not.toContain(TOKEN);
    expect(safe).not.toContain(TOKEN.slice(0, 8));
    expect(safe).toContain('<redacted>');
  });

  it('masks every token of a batch from several projects, and non-ASCII ones in both forms', () => {
    const batch = `[${JSON.stringify({ token: 'first-token' })},{"token":"caf\\u00e9-token"}]`;
    const safe = redactTokens('rejected first-token and café-token and caf\\u00e9-token', batch);
    expect(safe).toBe('rejected <redacted> and <redacted> and <redacted>');
  });

  it('masks a token-like field even for a token the payload did not carry', () => {
    expect(redactTokens('{"token":"someone-elses"}', '{}')).toBe('{"token":"<redacted>"}');
  });

  it('leaves answers without tokens alone', () => {
    expect(redactTokens('{"error":"missing event name","index":3}', payload)).toBe(
      '{"error":"missing event name","index":3}',
    );
  });
});
