import type { GraphClient, GraphQuery } from '../../src/meta/graph-client';
import { findOnWaba } from '../../src/meta/phone-numbers';
import { effectiveWebhook, isRegistered, needsCode } from '../../src/meta/phone-state';

/** A Graph API that lists the WABA's numbers in pages of two, with Meta's cursor paging. */
function pagedGraph(displayNumbers: string[]): GraphClient & { queries: GraphQuery[] } {
  const queries: GraphQuery[] = [];
  return {
    queries,
    get<T>(_path: string, query: GraphQuery = {}) {
      queries.push(query);
      const start = query.after ? Number(query.after) : 0;
      const data = displayNumbers.slice(start, start + 2).map((n, i) => ({ id: String(1000 + start + i), display_phone_number: n }));
      const more = start + 2 < displayNumbers.length;
      return Promise.resolve({ data, paging: { cursors: { after: String(start + 2) }, ...(more ? { next: 'https://graph.example/next' } : {}) } } as T);
    },
    post: () => Promise.reject(new Error('no POST expected')),
  };
}

describe('findOnWaba', () => {
  it('follows the pages until it finds the number, matching digits however Meta formats them', async () => {
    const graph = pagedGraph(['+1 555-010-0001', '+1 555-010-0002', '+44 20 7183 8750', '+1 500-555-0006']);
    expect(await findOnWaba(graph, '102290129340398', '+15005550006')).toMatchObject({ id: '1003' });
    expect(graph.queries.map((q) => q.after)).toEqual([undefined, '2']);
  });

  it('returns null after the last page', async () => {
    const graph = pagedGraph(['+1 555-010-0001', '+1 555-010-0002', '+1 555-010-0003']);
    expect(await findOnWaba(graph, '102290129340398', '+15005550006')).toBeNull();
    expect(graph.queries).toHaveLength(2);
  });
});

describe("a number's state", () => {
  it('counts CONNECTED and the held statuses as registered, PENDING and DISCONNECTED not', () => {
    expect(['CONNECTED', 'FLAGGED', 'RESTRICTED', 'RATE_LIMITED'].map((status) => isRegistered({ id: '1', status }))).toEqual([true, true, true, true]);
    expect(['PENDING', 'UNVERIFIED', 'DISCONNECTED', undefined].map((status) => isRegistered({ id: '1', status }))).toEqual([false, false, false, false]);
  });

  it('needs a code only when neither registered nor verified (a registered number reads EXPIRED)', () => {
    expect(needsCode({ id: '1', status: 'CONNECTED', code_verification_status: 'EXPIRED' })).toBe(false);
    expect(needsCode({ id: '1', status: 'PENDING', code_verification_status: 'VERIFIED' })).toBe(false);
    expect(needsCode({ id: '1', status: 'PENDING', code_verification_status: 'NOT_VERIFIED' })).toBe(true);
    expect(needsCode({ id: '1', status: 'PENDING', code_verification_status: 'EXPIRED' })).toBe(true);
  });

  it("takes the most specific webhook: the number's override, then the WABA's, then the app's", () => {
    const app = 'https://app.example.com/hook';
    expect(effectiveWebhook({ id: '1', webhook_configuration: { application: app } })).toBe(app);
    expect(effectiveWebhook({ id: '1', webhook_configuration: { application: app, whatsapp_business_account: 'https://waba' } })).toBe('https://waba');
    expect(effectiveWebhook({ id: '1', webhook_configuration: { application: app, whatsapp_business_account: 'https://waba', phone_number: 'https://number' } })).toBe('https://number');
    expect(effectiveWebhook({ id: '1' })).toBeNull();
  });
});
