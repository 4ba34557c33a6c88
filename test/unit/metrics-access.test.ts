import { loadConfig } from '../../src/config';
import { isLoopbackAddress } from '../../src/http/metrics-access';
import { PRODUCTION } from '../helpers/page-fixtures';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])('takes the socket peer %s for this machine', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each([
    ['another IPv4 host', '192.0.2.10'],
    ['an address that only starts like loopback', '12.7.0.0.1'],
    ['an IPv4-mapped address of another host', '::ffff:192.0.2.10'],
    ['another IPv6 host', '2001:db8::1'],
    ['an IPv6 address ending in 1', '1::1'],
    ['the unspecified address', '::'],
    ['a name', 'localhost'],
    ['no address (a closed socket)', undefined],
  ])('does not take %s for this machine', (_what, address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});

describe('the metrics settings', () => {
  it('reads METRICS_TOKEN and METRICS_PUBLIC', () => {
    const { config } = loadConfig({ ...PRODUCTION, METRICS_TOKEN: 'metrics-token-0123456789', METRICS_PUBLIC: 'on' }, () => {
      throw new Error('production generates nothing');
    });
    expect(config.metrics).toEqual({ token: 'metrics-token-0123456789', public: true });
  });

  it('leaves /metrics to loopback by default: no token, not public', () => {
    const { config } = loadConfig(PRODUCTION, () => {
      throw new Error('production generates nothing');
    });
    expect(config.metrics).toEqual({ token: null, public: false });
  });
});
