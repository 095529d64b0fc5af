import { describe, expect, it } from 'vitest';
import { type CohorlyServerOptions, checkOptions } from './cohorly-server-options.js';
import { createCohorlyServer } from './create-cohorly-server.js';

const check = (options: object) => () => checkOptions(options as CohorlyServerOptions);

describe('checkOptions: capture', () => {
  it('accepts booleans for ip and userAgent, and leaves an undefined one to its default', () => {
    expect(check({ capture: {} })).not.toThrow();
    expect(check({ capture: { ip: true, userAgent: false } })).not.toThrow();
    expect(check({ capture: { ip: undefined } })).not.toThrow();
  });

  it('refuses a value that is not a boolean: { ip: "true" } used to capture nothing', () => {
    expect(check({ capture: { ip: 'true' } })).toThrow(
      'createCohorlyServer(): capture.ip must be true or false, got "true"',
    );
    expect(check({ capture: { userAgent: 1 } })).toThrow(
      'createCohorlyServer(): capture.userAgent must be true or false, got 1',
    );
  });

  it('refuses an unknown key, naming the ones there are', () => {
    expect(check({ capture: { user_agent: true } })).toThrow(
      'createCohorlyServer(): capture.user_agent is not an option (got true); capture takes ip, userAgent',
    );
    // The request path is not captured here: App Router APIs do not expose it.
    expect(check({ capture: { path: true } })).toThrow(
      'createCohorlyServer(): capture.path is not an option (got true); capture takes ip, userAgent',
    );
  });

  it('refuses a capture that is not an object, as Express and NestJS do', () => {
    expect(check({ capture: 'all' })).toThrow(
      'createCohorlyServer(): capture must be an object such as { ip: true }, got "all"',
    );
    expect(check({ capture: true })).toThrow(
      'createCohorlyServer(): capture must be an object such as { ip: true }, got true',
    );
    expect(check({ capture: ['ip'] })).toThrow(/capture must be an object .*, got an array$/);
    expect(check({ capture: null })).toThrow(/capture must be an object .*, got null$/);
  });
});

describe('checkOptions: anonymousIdHeader and anonymousIdCookie', () => {
  it('accepts names in any case, and false', () => {
    expect(check({ anonymousIdHeader: 'X-Visitor', anonymousIdCookie: 'Anon_ID' })).not.toThrow();
    expect(check({ anonymousIdHeader: false, anonymousIdCookie: false })).not.toThrow();
  });

  it('refuses a name no request can carry: " x-anon" used to never match', () => {
    expect(check({ anonymousIdHeader: ' x-anon' })).toThrow(
      `createCohorlyServer(): anonymousIdHeader must be a header name such as "x-cohorly-anonymous-id" (letters, digits and !#$%&'*+-.^_\`|~, no spaces) or false, got " x-anon"`,
    );
    expect(check({ anonymousIdCookie: 'anon id' })).toThrow(
      `createCohorlyServer(): anonymousIdCookie must be a cookie name such as "cohorly_anonymous_id" (letters, digits and !#$%&'*+-.^_\`|~, no spaces) or false, got "anon id"`,
    );
    for (const name of ['x-anon:', 'x-änon', 'x-anon\n', 'a=b', 'a;b']) {
      expect(check({ anonymousIdHeader: name })).toThrow(/anonymousIdHeader must be a header name/);
      expect(check({ anonymousIdCookie: name })).toThrow(/anonymousIdCookie must be a cookie name/);
    }
  });

  it('refuses an empty name, or one that is not a string', () => {
    expect(check({ anonymousIdHeader: '' })).toThrow(/anonymousIdHeader .* or false, got ""$/);
    expect(check({ anonymousIdCookie: 123 })).toThrow(/anonymousIdCookie .* or false, got 123$/);
    expect(check({ anonymousIdHeader: true })).toThrow(/anonymousIdHeader .* or false, got true$/);
  });
});

describe('createCohorlyServer', () => {
  it('says at creation which options it does not know, and what was probably meant', () => {
    const errors: unknown[] = [];
    createCohorlyServer({
      token: 'T',
      onError: (error: unknown) => errors.push(error),
      getDistinctID: () => 'u1',
      flushTimeout: 10_000,
    } as never);
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'createCohorlyServer(): getDistinctID is not an option, and is ignored (did you mean getDistinctId?)',
      'createCohorlyServer(): flushTimeout is not an option, and is ignored (did you mean flushTimeoutMs?)',
    ]);
  });

  it('checks capture and the anonymous-id names at creation', () => {
    expect(() => createCohorlyServer({ capture: { ip: 'true' as never } })).toThrow(
      'createCohorlyServer(): capture.ip must be true or false, got "true"',
    );
    expect(() => createCohorlyServer({ anonymousIdHeader: ' x-anon ' })).toThrow(
      /^createCohorlyServer\(\): anonymousIdHeader must be a header name/,
    );
  });
});
