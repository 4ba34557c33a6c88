import { isRehearsal, rehearsalMark } from '../../src/whatsapp/rehearsal-mark';
import { signPayload } from '../../src/whatsapp/sign';
import { fixtureWire } from '../helpers/meta-wire';

const CURRENT = 'current-app-secret-0123456789abcdef';
const PREVIOUS = 'previous-app-secret-0123456789abcd';
const BODY = fixtureWire('text');

describe('the rehearsal mark', () => {
  it('is recognised on the bytes it was made for, under the current or the previous secret', () => {
    expect(isRehearsal(rehearsalMark(CURRENT, BODY), BODY, [CURRENT, PREVIOUS])).toBe(true);
    expect(isRehearsal(rehearsalMark(PREVIOUS, BODY), BODY, [CURRENT, PREVIOUS])).toBe(true);
  });

  it('is not recognised on other bytes: it cannot be moved onto another request', () => {
    expect(isRehearsal(rehearsalMark(CURRENT, BODY), fixtureWire('image'), [CURRENT])).toBe(false);
  });

  it('is not recognised when made with another secret', () => {
    expect(isRehearsal(rehearsalMark('a-stranger-guessing-0123456789', BODY), BODY, [CURRENT])).toBe(false);
  });

  it("cannot be copied from Meta's own signature: X-Hub-Signature-256 of the body is not its mark", () => {
    expect(isRehearsal(signPayload(CURRENT, BODY), BODY, [CURRENT])).toBe(false);
  });

  it.each([
    ['no header', undefined],
    ['a bare flag', '1'],
    ['hex without sha256=', rehearsalMark(CURRENT, BODY).slice('sha256='.length)],
    ['too short', rehearsalMark(CURRENT, BODY).slice(0, -2)],
  ])('is not recognised from %s', (_case, header) => {
    expect(isRehearsal(header, BODY, [CURRENT])).toBe(false);
  });
});
