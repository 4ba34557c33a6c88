import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handle, type Failure } from './fake-graph/handle';
import { seedPhone } from './fake-graph/phone-numbers';
import type { Ctx, FakeGraphApi, FakeGraphOptions } from './fake-graph/types';

export type { FakeGraphApi, FakeGraphOptions, FakePhone, FakePhoneSeed, GraphErrorSpec, GraphRequest } from './fake-graph/types';

/**
 * Meta's Graph API for onboarding a number (REFERENCE.md §6), over real HTTP on loopback. It
 * records every request, keeps the WABA's state, answers Meta's error JSON, runs Meta's callback
 * check against the URL it is given, and plays the verification call through `onVoiceCall`.
 */
export async function startFakeGraphApi(options: FakeGraphOptions): Promise<FakeGraphApi> {
  const failures: Failure[] = [];
  const ctx: Ctx = {
    url: '',
    requests: [],
    phoneNumbers: (options.phoneNumbers ?? []).map(seedPhone),
    subscribedApps: [],
    appSubscriptions: [],
    wabaOverride: null,
    get wabaWebhookOverride() {
      return this.wabaOverride;
    },
    robotErrors: [],
    options,
    robots: [],
    failNext: (suffix, error) => void failures.push({ suffix, error }),
    waitForRobot: async () => void (await Promise.all(ctx.robots)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // handle() answers every failure itself, so this promise never rejects.
      void handle(ctx, failures, req, Buffer.concat(chunks).toString('utf8')).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return ctx;
}
