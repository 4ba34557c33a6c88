import { advancesStatus, type StatusMark } from '../../src/whatsapp/status-order';

const T1 = '2025-02-12T00:00:01.000Z';
const T2 = '2025-02-12T00:00:02.000Z';
const mark = (status: string, timestamp: string | null = T1): StatusMark => ({ status, timestamp });

describe('advancesStatus', () => {
  it('always takes the first status of a message', () => {
    expect(advancesStatus(mark('delivered'), null)).toBe(true);
    expect(advancesStatus(mark('something-new', null), null)).toBe(true);
  });

  it('moves forward along sent, delivered, read, played', () => {
    expect(advancesStatus(mark('delivered'), mark('sent'))).toBe(true);
    expect(advancesStatus(mark('read'), mark('delivered'))).toBe(true);
    expect(advancesStatus(mark('played'), mark('read'))).toBe(true);
  });

  it('never downgrades read to a delivered that arrives late, even one stamped later', () => {
    expect(advancesStatus(mark('delivered', T2), mark('read', T1))).toBe(false);
  });

  it('never lets read replace played', () => {
    expect(advancesStatus(mark('read', T2), mark('played', T1))).toBe(false);
  });

  it('lets failed replace sent', () => {
    expect(advancesStatus(mark('failed', T1), mark('sent', T1))).toBe(true);
  });

  it('never lets failed replace read', () => {
    expect(advancesStatus(mark('failed', T2), mark('read', T1))).toBe(false);
  });

  it('decides between equal ranks by timestamp: the newer wins, the same or older does not', () => {
    expect(advancesStatus(mark('failed', T2), mark('delivered', T1))).toBe(true);
    expect(advancesStatus(mark('delivered', T2), mark('failed', T1))).toBe(true);
    expect(advancesStatus(mark('failed', T1), mark('delivered', T2))).toBe(false);
    expect(advancesStatus(mark('delivered', T1), mark('delivered', T1))).toBe(false);
  });

  it('prefers a stamped status to an unstamped one of the same rank', () => {
    expect(advancesStatus(mark('delivered', T1), mark('delivered', null))).toBe(true);
    expect(advancesStatus(mark('delivered', null), mark('delivered', T1))).toBe(false);
  });

  it('never lets a status it does not know replace one it knows', () => {
    expect(advancesStatus(mark('deleted', T2), mark('sent', T1))).toBe(false);
  });

  it('lets a known status replace an unknown one', () => {
    expect(advancesStatus(mark('sent', T1), mark('deleted', T2))).toBe(true);
  });
});
