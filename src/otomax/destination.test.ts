import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG } from '../demo/demo-catalog.js';
import { splitDestination } from './destination.js';

/** The demo categories' own server rules, read from the demo catalog (the data the issue names). */
function rule(code: string): { needsServer: boolean; destinationSplit: string | null } {
  const c = DEMO_CATALOG.categories?.find((x) => x.code === code);
  if (!c) throw new Error(`no demo category ${code}`);
  return { needsServer: c.server?.required ?? false, destinationSplit: c.server?.split ?? null };
}

const ML = rule('ML');
const GI = rule('GI');
const FF = rule('FF');

describe('splitDestination', () => {
  it('reads the demo rules as the issue describes them', () => {
    expect(ML).toEqual({ needsServer: true, destinationSplit: '^(?<user>\\d+)(?<server>\\d{4})$' });
    expect(GI).toEqual({ needsServer: true, destinationSplit: null });
    expect(FF).toEqual({ needsServer: false, destinationSplit: null });
  });

  it.each([
    ['123456789|1234'],
    ['123456789.1234'],
    ['123456789 1234'],
    ['123456789(1234)'],
    ['1234567891234'],
    ['  123456789 (1234) '],
    ['123456789  1234'],
  ])('Mobile Legends: %j is user 123456789, zone 1234', (dest) => {
    expect(splitDestination(dest, ML)).toEqual({ userId: '123456789', serverId: '1234' });
  });

  it('Mobile Legends: the split rule takes the last 4 digits whatever the length', () => {
    expect(splitDestination('98765432112345', ML)).toEqual({ userId: '9876543211', serverId: '2345' });
  });

  it.each([['1234'], ['123'], ['abc'], ['123456789|'], ['|1234'], ['123456789()'], ['12345678a1234'], ['123\t1234'], ['123\n1234'], ['']])(
    'Mobile Legends: %j cannot be split',
    (dest) => {
      expect(splitDestination(dest, ML)).toBeNull();
    },
  );

  it.each([['123456789|os_asia'], ['123456789.os_asia'], ['123456789 os_asia'], ['123456789(os_asia)']])('Genshin: %j has explicit separators', (dest) => {
    expect(splitDestination(dest, GI)).toEqual({ userId: '123456789', serverId: 'os_asia' });
  });

  it.each([['123456789os_asia'], ['1234567891234'], ['123456789']])('Genshin (no split rule): %j cannot be split', (dest) => {
    expect(splitDestination(dest, GI)).toBeNull();
  });

  it.each([
    ['123456789', '123456789'],
    ['123456789|1234', '123456789'],
    ['123456789(1234)', '123456789'],
    ['123456789 1234', '123456789'],
    // a dot can be part of an account id: not a separator where no server is needed
    ['player.one', 'player.one'],
    ['1234567891234', '1234567891234'],
  ])('Free Fire (no server): %j is user %j', (dest, user) => {
    expect(splitDestination(dest, FF)).toEqual({ userId: user, serverId: null });
  });

  it('a broken or group-less rule in the catalog splits nothing instead of throwing', () => {
    expect(splitDestination('1234567891234', { needsServer: true, destinationSplit: '^(?<user>\\d+' })).toBeNull();
    expect(splitDestination('1234567891234', { needsServer: true, destinationSplit: '^(\\d+)(\\d{4})$' })).toBeNull();
  });

  it('uses whatever rule the category carries (data, not code)', () => {
    const fiveDigitZone = { needsServer: true, destinationSplit: '^(?<user>\\d+)(?<server>\\d{5})$' };
    expect(splitDestination('1234567891234', fiveDigitZone)).toEqual({ userId: '12345678', serverId: '91234' });
  });
});
