import { describe, expectTypeOf, it } from 'vitest';
import { Cohorly } from './cohorly.js';

type MyEvents = {
  'Signed Up': { plan: 'free' | 'pro'; referrer?: string };
  'Logged In': { method?: 'password' | 'sso' };
  'Checked Out': { amount: number; items: string[] };
};

interface InterfaceEvents {
  Clicked: { button: string };
}

describe('a typed event catalog', () => {
  const cohorly = new Cohorly<MyEvents>('token');

  it('accepts known events with the right properties', () => {
    expectTypeOf(cohorly.track('u', 'Signed Up', { plan: 'pro' })).toEqualTypeOf<Promise<void>>();
    cohorly.track('u', 'Checked Out', { amount: 10, items: ['a'] }, { ip: '1.2.3.4' });
    cohorly.importData('u', 'Signed Up', 1700000000000, { plan: 'free', referrer: 'x' });
  });

  it('lets properties be omitted only when all of them are optional', () => {
    cohorly.track('u', 'Logged In');
    // @ts-expect-error 'Signed Up' requires its plan
    cohorly.track('u', 'Signed Up');
  });

  it('rejects unknown event names', () => {
    // @ts-expect-error not in the catalog
    cohorly.track('u', 'Signed Upp', { plan: 'pro' });
  });

  it('rejects wrong property types', () => {
    // @ts-expect-error plan is 'free' | 'pro'
    cohorly.track('u', 'Signed Up', { plan: 'enterprise' });
    // @ts-expect-error amount is a number
    cohorly.track('u', 'Checked Out', { amount: '10', items: [] });
    // @ts-expect-error unknown property
    cohorly.track('u', 'Logged In', { methd: 'sso' });
  });

  it('works with an interface catalog too', () => {
    const typed = new Cohorly<InterfaceEvents>('token');
    typed.track('u', 'Clicked', { button: 'buy' });
    // @ts-expect-error unknown event
    typed.track('u', 'Hovered', {});
  });
});

describe('an untyped client', () => {
  const cohorly = new Cohorly('token');

  it('accepts any event name and JSON-like properties', () => {
    cohorly.track('u', 'Anything', {
      a: 1,
      b: 'x',
      c: [true, null],
      d: { e: new Date() },
      f: undefined,
    });
    cohorly.track('u', 'No properties');
    cohorly.peopleSet('u', { plan: 'pro' });
    cohorly.peopleIncrement('u', { logins: 1 });
  });

  it('rejects values that are not JSON-like', () => {
    // @ts-expect-error a function is not a property value
    cohorly.track('u', 'E', { fn: () => 1 });
    // @ts-expect-error a symbol is not a property value
    cohorly.track('u', 'E', { s: Symbol('x') });
    // @ts-expect-error increments are numbers
    cohorly.peopleIncrement('u', { logins: '1' });
  });

  it('types time in epoch milliseconds and $insert_id as a string, as the server takes them', () => {
    cohorly.track('u', 'E', { time: 1700000000000, $insert_id: 'order-1' });
    // @ts-expect-error a Date as time throws at the call (mixpanel-node takes one)
    cohorly.track('u', 'E', { time: new Date() });
    // @ts-expect-error $insert_id is a string
    cohorly.importData('u', 'E', 1700000000000, { $insert_id: 42 });
    // A profile property may be named time and be a Date.
    cohorly.peopleSet('u', { time: new Date() });
  });
});
