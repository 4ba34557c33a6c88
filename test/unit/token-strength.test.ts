import { estimatedBits, weakTokenReason } from '../../src/token-strength';

describe('weakTokenReason', () => {
  it('accepts what `openssl rand -hex 24` and randomBytes(24).toString("base64url") print', () => {
    expect(weakTokenReason('9f1c2e7a4b0d83f65ac1e29d7b3f04a8c6e51d92b07f3a4e')).toBeNull();
    expect(weakTokenReason('Zk3q_T9xLw-2mVbN8rYd4HsPcA7uEf1G')).toBeNull();
  });

  it('refuses 16 copies of one letter, by its few different characters', () => {
    expect(weakTokenReason('a'.repeat(16))).toBe('uses only 1 different character (at least 8)');
  });

  it('refuses a long repetition of a short unit', () => {
    expect(weakTokenReason('Xk9#mQ2!pL'.repeat(6))).toMatch(/^is too easy to guess \(about \d+ bits; at least 80\)$/);
    expect(estimatedBits('Xk9#mQ2!pL'.repeat(6))).toBeCloseTo(estimatedBits('Xk9#mQ2!pL'));
  });

  it('refuses a run of consecutive characters, however long', () => {
    expect(weakTokenReason('abcdefghijklmnopqrstuvwxyz')).toMatch(/^is too easy to guess/);
    expect(weakTokenReason('0123456789'.repeat(3))).toMatch(/^is too easy to guess/);
  });

  it('refuses a short token drawn from one small alphabet', () => {
    // 20 digits: 20 × log2(10) ≈ 66 bits.
    expect(weakTokenReason('73918264501938475620')).toBe('is too easy to guess (about 66 bits; at least 80)');
  });

  it('counts each character class a token uses: length × log2 of their sizes', () => {
    expect(estimatedBits('q7Wm2Xa9')).toBeCloseTo(8 * Math.log2(26 + 26 + 10));
    expect(estimatedBits('q7-m2xa9')).toBeCloseTo(8 * Math.log2(26 + 10 + 32));
  });
});
