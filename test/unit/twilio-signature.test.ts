import express from 'express';
import pino from 'pino';
import request from 'supertest';
import twilio from 'twilio';
import { requireTwilioSignature } from '../../src/voice/twilio-signature';

describe("Twilio's signature algorithm", () => {
  // The golden vector from twilio-node's own tests.
  const token = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  };

  it("matches twilio-node's golden vector", () => {
    expect(twilio.getExpectedTwilioSignature(token, url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilio.validateRequest(token, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params)).toBe(true);
  });
});

describe('requireTwilioSignature', () => {
  const authToken = 'a'.repeat(32);
  const publicUrl = 'https://onboard.example.com/prefix';
  const app = ({ enabled } = { enabled: true }) =>
    express()
      .use(express.urlencoded({ extended: false }))
      .use(requireTwilioSignature({ authToken, publicUrl, enabled, logger: pino({ level: 'silent' }) }))
      .post('/twilio/voice', (_req, res) => {
        res.send('passed');
      });
  const body = { CallSid: 'CA1', From: '+16505550100' };
  const sign = (url: string, token = authToken) => twilio.getExpectedTwilioSignature(token, url, body);

  it('lets through a request signed for PUBLIC_URL plus the path and query Twilio called', async () => {
    const res = await request(app())
      .post('/twilio/voice?listen=2')
      .set('X-Twilio-Signature', sign(`${publicUrl}/twilio/voice?listen=2`))
      .type('form')
      .send(body);
    expect(res.text).toBe('passed');
  });

  it('refuses a request with no signature, answering TwiML', async () => {
    const res = await request(app()).post('/twilio/voice').type('form').send(body);
    expect(res.status).toBe(403);
    expect(res.type).toBe('text/xml');
  });

  it('refuses a request signed with another auth token', async () => {
    const res = await request(app())
      .post('/twilio/voice')
      .set('X-Twilio-Signature', sign(`${publicUrl}/twilio/voice`, 'b'.repeat(32)))
      .type('form')
      .send(body);
    expect(res.status).toBe(403);
  });

  it('refuses a signature made for the URL a proxy forwarded to, not the public one', async () => {
    const res = await request(app())
      .post('/twilio/voice')
      .set('Host', 'internal:3000')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Twilio-Signature', sign('http://internal:3000/twilio/voice'))
      .type('form')
      .send(body);
    expect(res.status).toBe(403);
  });

  it('refuses a body altered after signing', async () => {
    const res = await request(app())
      .post('/twilio/voice')
      .set('X-Twilio-Signature', sign(`${publicUrl}/twilio/voice`))
      .type('form')
      .send({ ...body, Digits: '123456' });
    expect(res.status).toBe(403);
  });

  it('lets everything through only when the check was turned off', async () => {
    const res = await request(app({ enabled: false })).post('/twilio/voice').type('form').send(body);
    expect(res.text).toBe('passed');
  });
});
