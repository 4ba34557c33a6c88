import { isLoopbackHost, isLoopbackUrl } from '../../src/loopback';

describe('isLoopbackUrl', () => {
  it.each([
    'http://127.0.0.1:3000/',
    'http://127.255.10.2/',
    'http://localhost:8080/events',
    'http://LOCALHOST/',
    'http://[::1]:3000/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://127.1/', // URL reads it as 127.0.0.1
  ])('takes %s for this machine', (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  it.each([
    'http://127.attacker.example/',
    'http://127.0.0.1.nip.io/',
    'http://127-0-0-1.attacker.example/',
    'http://localhost.attacker.example/',
    'http://attacker.localhost/',
    'http://128.0.0.1/',
    'http://0.0.0.0/',
    'http://10.0.0.5/',
    'http://[::2]/',
    'http://user@attacker.example/?127.0.0.1',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it('reads an IPv6 address with or without its brackets', () => {
    expect([isLoopbackHost('[::1]'), isLoopbackHost('::1'), isLoopbackHost('[::1')]).toEqual([true, true, false]);
  });
});
