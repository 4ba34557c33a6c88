import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN, startHarness, type Harness } from '../helpers/harness';
import { section } from '../helpers/markdown';

/**
 * The routes of the README's "HTTP endpoints" table, from its first column: `POST /twilio/voice`,
 * `/twilio/gather` (the same method), `.js` and `favicon.svg` (beside the path before them).
 */
function documentedRoutes(): Array<{ method: string; path: string }> {
  const table = section(fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8'), '## HTTP endpoints');
  const routes: Array<{ method: string; path: string }> = [];
  for (const row of table.split('\n').filter((line) => line.startsWith('| `'))) {
    let method = '';
    let last = '';
    for (const [, span = ''] of (row.split(' | ')[0] ?? '').matchAll(/`([^`]+)`/g)) {
      const full = /^([A-Z]+) (\/\S*)$/.exec(span);
      if (full) [method, last] = [full[1] ?? '', full[2] ?? ''];
      else if (span.startsWith('/')) last = span;
      else if (span.startsWith('.')) last = last.replace(/\.\w+$/, span);
      else last = `${path.posix.dirname(last)}/${span}`;
      routes.push({ method, path: last.replace(/\?.*$/, '') });
    }
  }
  return routes;
}

describe("the README's HTTP endpoints", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('finds the table (a guard on this test itself)', () => {
    expect(documentedRoutes()).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/twilio/transcription' },
        { method: 'GET', path: '/assets/favicon.svg' },
        { method: 'GET', path: '/api/codes' },
      ]) as unknown,
    );
  });

  // With the admin token, so /api/* answers from its routes rather than refusing at the door. Under
  // /twilio/ the signature check answers first (403), so a wrong path there is for the voice tests.
  it('each is a route of the service: none answers "no such route"', async () => {
    const missing: string[] = [];
    for (const route of documentedRoutes()) {
      const res = await fetch(`${h.url}${route.path}`, {
        method: route.method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        redirect: 'manual',
      });
      // The live stream never ends: its headers are the answer.
      const body = res.headers.get('content-type')?.startsWith('text/event-stream') ? (await res.body?.cancel(), '') : await res.text();
      if (res.status === 404 && body.includes('not_found')) missing.push(`${route.method} ${route.path}`);
    }
    expect(missing).toEqual([]);
  });
});
