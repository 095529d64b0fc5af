import { describe, expect, it } from 'vitest';
import { NodeFetchResponse } from './node-fetch-response.js';

function answer(headers: Record<string, string | string[] | undefined>, body = '') {
  return new NodeFetchResponse(200, 'OK', headers, Buffer.from(body, 'utf8'));
}

describe('NodeFetchResponse', () => {
  it('reads headers by any case, joins repeated ones as fetch does, and knows no others', () => {
    const response = answer({
      'retry-after': '7',
      'set-cookie': ['a=1', 'b=2'],
      empty: undefined,
    });
    expect(response.headers.get('Retry-After')).toBe('7');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.headers.get('empty')).toBeNull();
    expect(response.headers.get('x-missing')).toBeNull();
    // Names of Object.prototype's properties are no headers.
    expect(response.headers.get('constructor')).toBeNull();
    expect(response.headers.has('__proto__')).toBe(false);
    expect(response.headers.has('RETRY-AFTER')).toBe(true);
  });

  it("decodes the body as fetch's text() does: UTF-8, no byte-order mark, bad bytes as U+FFFD", async () => {
    expect(await answer({}, '\ufeff{"é":"🚀"}').text()).toBe('{"é":"🚀"}');
    const bad = new NodeFetchResponse(200, 'OK', {}, Buffer.from([0x6f, 0xff, 0x6b]));
    expect(await bad.text()).toBe('o\ufffdk');
    expect(await answer({}, '{"status":1}').json()).toEqual({ status: 1 });
    await expect(answer({}, 'not json').json()).rejects.toThrow(SyntaxError);
  });

  it('is ok for 2xx only', () => {
    const at = (status: number) => new NodeFetchResponse(status, '', {}, Buffer.alloc(0)).ok;
    expect([199, 200, 204, 299, 300, 404, 503].map(at)).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
