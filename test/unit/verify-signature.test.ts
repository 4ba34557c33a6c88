import { createHmac } from 'node:crypto';
import { signPayload } from '../../src/whatsapp/sign';
import { verifySignature, type SignatureCheck } from '../../src/whatsapp/verify-signature';
import { fixture, fixtureWire } from '../helpers/meta-wire';

const CURRENT = 'current-app-secret-0123456789abcdef';
const PREVIOUS = 'previous-app-secret-0123456789abcd';
const SECRETS = [CURRENT, PREVIOUS];
const BODY = fixtureWire('text');

function reasonOf(check: SignatureCheck): string {
  if (check.ok) throw new Error('expected the signature to be refused');
  return check.reason;
}

const hexOf = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

describe('verifySignature', () => {
  it('accepts a body signed with the current secret, as secret 0', () => {
    expect(verifySignature(signPayload(CURRENT, BODY), BODY, SECRETS)).toEqual({ ok: true, secretIndex: 0 });
  });

  it('accepts a body signed with the previous secret during a rotation, as secret 1', () => {
    expect(verifySignature(signPayload(PREVIOUS, BODY), BODY, SECRETS)).toEqual({ ok: true, secretIndex: 1 });
  });

  it('accepts a signature written in uppercase hex', () => {
    const header = `sha256=${hexOf(CURRENT, BODY).toUpperCase()}`;
    expect(verifySignature(header, BODY, SECRETS)).toEqual({ ok: true, secretIndex: 0 });
  });

  it('refuses a request without the header, asking whether it is from Meta', () => {
    expect(reasonOf(verifySignature(undefined, BODY, SECRETS))).toMatch(/X-Hub-Signature-256 is missing.*from Meta/);
  });

  it('refuses an empty header as missing', () => {
    expect(reasonOf(verifySignature('', BODY, SECRETS))).toMatch(/X-Hub-Signature-256 is missing/);
  });

  it('refuses a sha1= signature, saying it must start with sha256=', () => {
    const header = `sha1=${createHmac('sha1', CURRENT).update(BODY).digest('hex')}`;
    expect(reasonOf(verifySignature(header, BODY, SECRETS))).toMatch(/must start with "sha256="/);
  });

  it('refuses a signature with too few hex characters', () => {
    const header = signPayload(CURRENT, BODY).slice(0, -2);
    expect(reasonOf(verifySignature(header, BODY, SECRETS))).toMatch(/64 hex characters/);
  });

  it('refuses 64 characters that are not hex', () => {
    expect(reasonOf(verifySignature(`sha256=${'z'.repeat(64)}`, BODY, SECRETS))).toMatch(/64 hex characters/);
  });

  it('refuses a signature followed by anything else', () => {
    expect(reasonOf(verifySignature(`${signPayload(CURRENT, BODY)} `, BODY, SECRETS))).toMatch(/64 hex characters/);
  });

  it('refuses a body signed with another secret, naming the secret to check', () => {
    const reason = reasonOf(verifySignature(signPayload('some-other-app-secret', BODY), BODY, SECRETS));
    expect(reason).toMatch(/does not match the body/);
    expect(reason).toMatch(/WHATSAPP_APP_SECRET/);
  });

  it('refuses a body changed by one byte', () => {
    const changed = Buffer.from(BODY);
    changed[changed.length - 2] = (changed[changed.length - 2] ?? 0) ^ 1;
    expect(reasonOf(verifySignature(signPayload(CURRENT, BODY), changed, SECRETS))).toMatch(/does not match the body/);
  });

  it('accepts Meta\'s escaped wire bytes but refuses the same JSON re-serialised', () => {
    const wire = fixtureWire('mixed-batch');
    const header = signPayload(CURRENT, wire);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(wire.toString('utf8'))), 'utf8');
    // Same JSON value, different bytes: the accents and "/" are no longer escaped.
    expect(JSON.parse(reserialised.toString('utf8'))).toEqual(fixture('mixed-batch'));
    expect(reserialised.equals(wire)).toBe(false);

    expect(verifySignature(header, wire, SECRETS)).toEqual({ ok: true, secretIndex: 0 });
    expect(reasonOf(verifySignature(header, reserialised, SECRETS))).toMatch(/rewrites the body/);
  });

  it('refuses everything when no secret is configured', () => {
    expect(verifySignature(signPayload(CURRENT, BODY), BODY, []).ok).toBe(false);
  });

  it('gives a distinct reason for each kind of failure', () => {
    const reasons = [
      verifySignature(undefined, BODY, SECRETS),
      verifySignature('sha1=abc', BODY, SECRETS),
      verifySignature('sha256=abc', BODY, SECRETS),
      verifySignature(signPayload('some-other-app-secret', BODY), BODY, SECRETS),
    ].map(reasonOf);
    expect(new Set(reasons).size).toBe(4);
  });
});
