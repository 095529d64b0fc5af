import { describe, expect, it } from 'vitest';
import { IdentityMap } from './identity-map.js';

describe('IdentityMap', () => {
  it('joins an alias to its original, in both directions, per token', () => {
    const ids = new IdentityMap();
    ids.link('T', 'anon', 'user');
    expect(ids.same('T', 'anon', 'user')).toBe(true);
    expect(ids.same('T', 'user', 'anon')).toBe(true);
    expect(ids.canonical('T', 'anon')).toBe('user');
    expect(ids.same('U', 'anon', 'user')).toBe(false);
    expect(ids.same('T', 'anon', 'someone')).toBe(false);
  });

  it('stays consistent (and terminates) for chains and links that would form a cycle', () => {
    const ids = new IdentityMap();
    ids.link('T', 'b', 'a');
    ids.link('T', 'c', 'b');
    ids.link('T', 'a', 'c');
    ids.link('T', 'a', 'a');
    for (const id of ['a', 'b', 'c']) expect(ids.canonical('T', id)).toBe('a');
    expect(ids.same('T', 'c', 'a')).toBe(true);
  });

  it('tells subscribers about each change, not about a link it already had', () => {
    const ids = new IdentityMap();
    let changes = 0;
    const unsubscribe = ids.subscribe(() => {
      changes += 1;
    });
    ids.link('T', 'anon', 'user');
    ids.link('T', 'anon', 'user');
    ids.link('T', 'user', 'anon');
    expect(changes).toBe(1);
    ids.clear();
    expect(changes).toBe(2);
    unsubscribe();
    ids.link('T', 'anon', 'user');
    expect(changes).toBe(2);
  });

  it('forgets every link on clear()', () => {
    const ids = new IdentityMap();
    ids.link('T', 'anon', 'user');
    ids.clear();
    expect(ids.same('T', 'anon', 'user')).toBe(false);
  });
});
