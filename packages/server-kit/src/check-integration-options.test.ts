import { describe, expect, it } from 'vitest';
import { plainAccessor } from '../test/plain-request.js';
import { checkIntegrationOptions } from './check-integration-options.js';
import { CohorlyIntegration } from './integration.js';

const check = (options: object) => () => checkIntegrationOptions(options, 'x()');

describe('checkIntegrationOptions: capture', () => {
  it('accepts booleans for each known key, and leaves an undefined one to its default', () => {
    expect(check({ capture: {} })).not.toThrow();
    expect(
      check({ capture: { path: false, query: true, ip: true, userAgent: false } }),
    ).not.toThrow();
    expect(check({ capture: { ip: undefined } })).not.toThrow();
  });

  it('refuses a value that is not a boolean: read as truthy, "false" would send the data', () => {
    // Strings from the environment, the mistake that sent query strings and IPs.
    expect(check({ capture: { query: 'false' } })).toThrow(
      'x(): capture.query must be true or false, got "false"',
    );
    expect(check({ capture: { ip: 'false' } })).toThrow(
      'x(): capture.ip must be true or false, got "false"',
    );
    expect(check({ capture: { path: 0 } })).toThrow(
      'x(): capture.path must be true or false, got 0',
    );
    expect(check({ capture: { userAgent: null } })).toThrow(
      'x(): capture.userAgent must be true or false, got null',
    );
  });

  it('refuses an unknown key, naming the ones there are', () => {
    expect(check({ capture: { user_agent: true } })).toThrow(
      'x(): capture.user_agent is not an option (got true); capture takes path, query, ip, userAgent',
    );
    expect(check({ capture: { queryString: false, ip: true } })).toThrow(
      'x(): capture.queryString is not an option (got false); capture takes path, query, ip, userAgent',
    );
  });

  it('still refuses a capture that is not an object', () => {
    expect(check({ capture: 'all' })).toThrow(
      'x(): capture must be an object such as { ip: true }, got "all"',
    );
    expect(check({ capture: ['ip'] })).toThrow(
      'x(): capture must be an object such as { ip: true }, got an array',
    );
  });
});

describe('checkIntegrationOptions: anonymousId', () => {
  it('accepts header and cookie names, in any case, and false', () => {
    expect(check({ anonymousId: false })).not.toThrow();
    expect(check({ anonymousId: {} })).not.toThrow();
    expect(check({ anonymousId: { header: 'X-Visitor', cookie: 'vid' } })).not.toThrow();
    expect(
      check({ anonymousId: { header: "x-a!#$%&'*+-.^_`|~9", cookie: 'Anon_ID' } }),
    ).not.toThrow();
    expect(check({ anonymousId: { header: undefined, cookie: 'vid' } })).not.toThrow();
  });

  it('refuses an empty name, which would turn its source off without a word', () => {
    expect(check({ anonymousId: { header: '' } })).toThrow(
      `x(): anonymousId.header must be a header name such as "x-cohorly-anonymous-id" (letters, digits and !#$%&'*+-.^_\`|~, no spaces), got ""`,
    );
    expect(check({ anonymousId: { cookie: '' } })).toThrow(
      `x(): anonymousId.cookie must be a cookie name such as "cohorly_anonymous_id" (letters, digits and !#$%&'*+-.^_\`|~, no spaces), got ""`,
    );
  });

  it('refuses a name no request can carry', () => {
    for (const header of [' x-anon-id ', 'x anon', 'x-anon:', 'x-änon', 'x-anon\n']) {
      expect(check({ anonymousId: { header } })).toThrow(
        `x(): anonymousId.header must be a header name such as "x-cohorly-anonymous-id"`,
      );
    }
    for (const cookie of ['anon id', 'anon=id', 'anon;', '"anon"']) {
      expect(check({ anonymousId: { cookie } })).toThrow(/^x\(\): anonymousId\.cookie must be/);
    }
  });

  it('refuses a name that is not a string, which used to fail every event', () => {
    expect(check({ anonymousId: { header: 123 } })).toThrow(/anonymousId\.header .*, got 123$/);
    expect(check({ anonymousId: { header: true } })).toThrow(/anonymousId\.header .*, got true$/);
    expect(check({ anonymousId: { cookie: false } })).toThrow(/anonymousId\.cookie .*, got false$/);
  });

  it('refuses an unknown key, naming the ones there are', () => {
    expect(check({ anonymousId: { headers: 'x-anon-id' } })).toThrow(
      'x(): anonymousId.headers is not an option (got "x-anon-id"); anonymousId takes header, cookie',
    );
  });
});

describe('CohorlyIntegration', () => {
  it('checks capture and anonymousId at startup', () => {
    const make = (options: object) => () =>
      new CohorlyIntegration({ token: 'test-token', ...options }, plainAccessor, 'cohorly()');
    expect(make({ capture: { ip: 'true' } })).toThrow(
      'cohorly(): capture.ip must be true or false, got "true"',
    );
    expect(make({ anonymousId: { header: ' x-anon-id ' } })).toThrow(
      /^cohorly\(\): anonymousId\.header must be a header name/,
    );
  });
});
