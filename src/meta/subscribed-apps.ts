import type { GraphClient } from './graph-client';

interface SubscribedApp {
  whatsapp_business_api_data?: { id?: string; name?: string };
}

/** The apps subscribed to a WABA (`GET /{WABA_ID}/subscribed_apps`): no webhook flows to an app not listed. */
export async function subscribedApps(graph: GraphClient, wabaId: string): Promise<Array<{ id: string; name: string | null }>> {
  const { data } = await graph.get<{ data?: SubscribedApp[] }>(`/${wabaId}/subscribed_apps`);
  return (data ?? []).flatMap((app) => {
    const id = app.whatsapp_business_api_data?.id;
    return id ? [{ id, name: app.whatsapp_business_api_data?.name ?? null }] : [];
  });
}

export async function subscribedAppIds(graph: GraphClient, wabaId: string): Promise<string[]> {
  return (await subscribedApps(graph, wabaId)).map((app) => app.id);
}
