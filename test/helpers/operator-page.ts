import { ADMIN_TOKEN, type Harness } from './harness';

/** The operator page's HTML as a signed-in browser gets it from the service `h`. */
export async function operatorPage(h: Pick<Harness, 'url'>): Promise<string> {
  const signIn = await fetch(`${h.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    redirect: 'manual',
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return (await fetch(`${h.url}/`, { headers: { cookie } })).text();
}
