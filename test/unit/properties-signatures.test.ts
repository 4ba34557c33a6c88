import type { Server } from 'node:http';
import { createHmac } from 'node:crypto';
import express from 'express';
import fc from 'fast-check';
import pino from 'pino';
import request from 'supertest';
import twilio from 'twilio';
import { requireTwilioSignature } from '../../src/voice/twilio-signature';
import { signPayload } from '../../src/whatsapp/sign';
import { signatureFormProblem, verifySignature } from '../../src/whatsapp/verify-signature';
import { anyString, bodyBytes, distinctSecrets, hexString, secret } from '../helpers/arbitraries';

// Properties of the two signature checks, for any header, body, secret and form parameters.

const RUNS = { numRuns: 500 };
// Each run is one HTTP request over loopback: fewer runs keep the file quick on two busy cores.
const HTTP_RUNS = { numRuns: 100 };

const hexOf = (key: string, body: Buffer): string => createHmac('sha256', key).update(body).digest('hex');

/** Headers of every shape: missing, empty, garbage, sha256= with non-hex, wrong length, either case. */
function metaHeader(body: Buffer): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(''),
    anyString({ maxLength: 100, size: 'medium' }),
    anyString({ maxLength: 80 }).map((rest) => `sha256=${rest}`),
    hexString({ maxLength: 130 }).map((hex) => `sha256=${hex}`),
    hexString({ minLength: 64, maxLength: 64 }).map((hex) => `sha256=${hex}`),
    fc.tuple(secret, fc.constantFrom('sha256=', 'sha1=', 'SHA256=', 'sha256:', ' sha256=', '')).map(([key, prefix]) => prefix + hexOf(key, body)),
  );
}

/** A different body: a bit flipped, bytes appended or inserted, or the end cut off. */
function alteredBody(body: Buffer): fc.Arbitrary<Buffer> {
  const at = fc.nat(Math.max(0, body.length - 1));
  const some = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => Buffer.from(bytes));
  const changes: fc.Arbitrary<Buffer>[] = [
    some.map((extra) => Buffer.concat([body, extra])),
    fc.tuple(fc.nat(body.length), some).map(([i, extra]) => Buffer.concat([body.subarray(0, i), extra, body.subarray(i)])),
  ];
  if (body.length > 0) {
    changes.push(
      fc.tuple(at, fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
        const flipped = Buffer.from(body);
        flipped[i] = (flipped[i] ?? 0) ^ (1 << bit);
        return flipped;
      }),
      at.map((keep) => body.subarray(0, keep)),
    );
  }
  return fc.oneof(...changes);
}

describe("Meta's signature check (verifySignature), for any input", () => {
  it('never throws on any header, body and secrets, and answers ok only with the index of a secret', () => {
    const input = bodyBytes.chain((body) =>
      fc.tuple(metaHeader(body), fc.constant(body), fc.array(fc.oneof(secret, anyString({ maxLength: 40 })), { maxLength: 3 })),
    );
    fc.assert(
      fc.property(input, ([header, body, secrets]) => {
        expect(() => signatureFormProblem(header)).not.toThrow();
        const check = verifySignature(header, body, secrets);
        if (check.ok) expect(check.secretIndex).toBeLessThan(secrets.length);
        else expect(check.reason).not.toBe('');
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a body signed with the current secret as secret 0, and with the previous one as secret 1', () => {
    fc.assert(
      fc.property(bodyBytes, distinctSecrets(2), fc.boolean(), (body, [current, previous], upperCase) => {
        const secrets = [current as string, previous as string];
        const sign = (key: string) => `sha256=${upperCase ? hexOf(key, body).toUpperCase() : hexOf(key, body)}`;
        expect(signPayload(current as string, body)).toBe(`sha256=${hexOf(current as string, body)}`);
        expect(verifySignature(signPayload(current as string, body), body, secrets)).toEqual({ ok: true, secretIndex: 0 });
        expect(verifySignature(sign(previous as string), body, secrets)).toEqual({ ok: true, secretIndex: 1 });
      }),
      RUNS,
    );
  });

  it('never accepts a body signed with another secret', () => {
    fc.assert(
      fc.property(bodyBytes, distinctSecrets(3), (body, [current, previous, other]) => {
        const header = signPayload(other as string, body);
        expect(verifySignature(header, body, [current as string, previous as string]).ok).toBe(false);
        expect(verifySignature(header.toUpperCase().replace('SHA256=', 'sha256='), body, [current as string]).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('never accepts a signature made over a different body (a bit flipped, bytes added, the end cut off)', () => {
    const input = bodyBytes.chain((body) => fc.tuple(fc.constant(body), alteredBody(body), distinctSecrets(2)));
    fc.assert(
      fc.property(input, ([body, altered, secrets]) => {
        fc.pre(!altered.equals(body));
        for (const key of secrets) expect(verifySignature(signPayload(key, body), altered, secrets).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('never accepts a header that is not exactly "sha256=" and 64 hex digits, even around the right signature', () => {
    const wrapped = fc.tuple(anyString({ maxLength: 8 }), anyString({ maxLength: 8 })).filter(([head, tail]) => head + tail !== '');
    fc.assert(
      fc.property(bodyBytes, secret, wrapped, (body, key, [head, tail]) => {
        const header = `${head}${signPayload(key, body)}${tail}`;
        fc.pre(!/^sha256=[0-9a-fA-F]{64}$/.test(header));
        expect(verifySignature(header, body, [key]).ok).toBe(false);
        expect(signatureFormProblem(header)).not.toBeNull();
      }),
      RUNS,
    );
  });
});

// Twilio's check is Express middleware that reads the parsed form body, so it is tested the way
// it runs: behind the same urlencoded parser as src/voice/routes.ts, over loopback HTTP.
describe("Twilio's signature check (requireTwilioSignature), for any form parameters", () => {
  const PUBLIC_URL = 'https://onboard.example.com';
  const PATH = '/twilio/voice?listen=1';
  const authToken = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
  let server: Server;

  beforeAll(async () => {
    const app = express()
      .use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }))
      .use(requireTwilioSignature({ authToken, publicUrl: PUBLIC_URL, enabled: true, logger: pino({ level: 'silent' }) }))
      .post('/twilio/voice', (_req, res) => {
        res.send('passed');
      });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /**
   * Parameter names as Twilio sends them (CallSid, SpeechResult, ...), any text at all, or text
   * made of what a form encoding or its parser treats specially. The parser (qs, behind
   * express.urlencoded) rewrites two kinds of name, which Twilio never sends, so a signature over
   * them cannot match what it hands on: "__proto__" is dropped, and a name wrapped in brackets
   * ("[x]", "[]") loses them.
   */
  const paramName = fc
    .oneof(
      fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,20}$/),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
      fc.string({ unit: fc.constantFrom(...'[]&=%+.?# aZ0é', '🎉'), minLength: 1, maxLength: 6 }),
    )
    .filter((name) => name !== '__proto__' && !(name.startsWith('[') && name.endsWith(']')));
  /** Any text Twilio can carry: unicode, control characters, `&`, `=`, `+`, `%`, empty. */
  const paramValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 40, size: 'medium' }), fc.string({ unit: 'grapheme', maxLength: 20 }));
  const params = fc
    .uniqueArray(fc.tuple(paramName, paramValue), { selector: ([name]) => name, maxLength: 12 })
    .map((entries) => Object.fromEntries(entries) as Record<string, string>);

  const form = (fields: Record<string, string>): string =>
    Object.entries(fields)
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
      .join('&');

  const post = (fields: Record<string, string>, signature: string | undefined) => {
    const req = request(server).post(PATH).type('form');
    return (signature === undefined ? req : req.set('X-Twilio-Signature', signature)).send(form(fields));
  };

  const sign = (token: string, fields: Record<string, string>) =>
    twilio.getExpectedTwilioSignature(token, `${PUBLIC_URL}${PATH}`, fields);

  it("accepts the auth token's signature for any parameter names and values", async () => {
    await fc.assert(
      fc.asyncProperty(params, async (fields) => {
        const res = await post(fields, sign(authToken, fields));
        expect(res.text).toBe('passed');
      }),
      HTTP_RUNS,
    );
  });

  it('refuses a signature made with another auth token', async () => {
    const otherToken = secret.filter((token) => token !== authToken);
    await fc.assert(
      fc.asyncProperty(params, otherToken, async (fields, token) => {
        const res = await post(fields, sign(token, fields));
        expect(res.status).toBe(403);
      }),
      HTTP_RUNS,
    );
  });

  it('refuses when a parameter value is altered, or a parameter added or removed, after signing', async () => {
    const tampered = params.chain((fields) => {
      const names = Object.keys(fields);
      const changes: fc.Arbitrary<Record<string, string>>[] = [
        fc
          .tuple(paramName, paramValue)
          .filter(([name]) => !Object.hasOwn(fields, name))
          .map(([name, value]) => ({ ...fields, [name]: value })),
      ];
      if (names.length > 0) {
        const name = fc.constantFrom(...names);
        changes.push(
          fc
            .tuple(name, paramValue)
            .filter(([key, value]) => fields[key] !== value)
            .map(([key, value]) => ({ ...fields, [key]: value })),
          name.map((key) => Object.fromEntries(Object.entries(fields).filter(([other]) => other !== key))),
        );
      }
      return fc.tuple(fc.constant(fields), fc.oneof(...changes));
    });
    await fc.assert(
      fc.asyncProperty(tampered, async ([signed, sent]) => {
        const res = await post(sent, sign(authToken, signed));
        expect(res.status).toBe(403);
      }),
      HTTP_RUNS,
    );
  });

  it('never fails on a garbage X-Twilio-Signature: it answers 403 with TwiML', async () => {
    // What an HTTP client can put in a header: tab, printable ASCII and Latin-1.
    const headerText = fc.string({
      unit: fc.oneof(fc.constant('\t'), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) =>
        typeof c === 'string' ? c : String.fromCharCode(c),
      ),
      maxLength: 60,
    });
    const signature = fc.oneof(fc.constant(undefined), headerText, fc.base64String({ maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(params, signature, async (fields, header) => {
        fc.pre(header === undefined || header.trim() !== sign(authToken, fields));
        const res = await post(fields, header);
        expect(res.status).toBe(403);
        expect(res.type).toBe('text/xml');
      }),
      HTTP_RUNS,
    );
  });
});
