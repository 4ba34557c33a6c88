import { SAMPLE_PHONE_NUMBER_ID, SAMPLE_WABA_ID, checkSubscription, postToWebhook } from '../../embedded/simulated-meta-webhook';
import { samplePayload, type SampleEventName } from '../../embedded/sample-webhook-events';
import { digitsOf } from '../../meta/phone-number';
import type { WhatsAppEvent } from '../../whatsapp/event';
import { cliConfig, serviceApiFor, serviceUrlOf } from '../context';
import { createWaiter } from '../progress';
import type { CommandContext } from './command-context';

export interface SimulateWebhookOptions {
  event: SampleEventName;
  /** Only Meta's subscription check (the GET), no event. */
  challenge?: boolean;
  url?: string;
  /** Seconds to wait for the event to be dispatched. */
  wait: number;
}

/**
 * `wa-onboard simulate webhook`: plays Meta's part against a running service. The subscription
 * check with our verify token, or one sample event signed with the app secret; then, through the
 * admin API, what the service made of it. Both are marked as rehearsals: the service shows them as
 * such and keeps them out of Meta's counts. Forwarding targets receive the event, marked too.
 */
export async function simulateWebhookCommand({ env, out, io }: CommandContext, options: SimulateWebhookOptions): Promise<number> {
  const config = cliConfig(env);
  const serviceUrl = serviceUrlOf(config, options.url);
  if (options.challenge) {
    const { status, echoed } = await checkSubscription(serviceUrl, config.whatsapp.verifyToken, { rehearsal: true });
    const ok = status === 200 && echoed;
    out.mark(ok ? 'pass' : 'fail', `GET ${serviceUrl}/webhooks/whatsapp?hub.mode=subscribe...`, ok ? '200, the challenge came back as sent' : `answered ${status}`, ok ? undefined : status === 403 ? 'Use the same WHATSAPP_VERIFY_TOKEN as the service.' : "Read the service's log.");
    out.result({ ok, status, echoed });
    return ok ? 0 : 1;
  }

  const api = serviceApiFor(config, options.url);
  const before = new Set((await api.events(100)).map((e) => e.id));
  const duplicatesBefore = (await api.overview()).rehearsals.duplicates;
  const body = samplePayload(options.event, {
    wabaId: config.meta.wabaId ?? SAMPLE_WABA_ID,
    phoneNumberId: config.meta.phoneNumberId ?? SAMPLE_PHONE_NUMBER_ID,
    displayPhoneNumber: digitsOf(config.twilio.phoneNumber),
    at: new Date(),
  });
  const res = await postToWebhook(serviceUrl, config.whatsapp.appSecrets[0] ?? '', body, { rehearsal: true });
  const accepted = res.status === 200;
  out.mark(accepted ? 'pass' : 'fail', `POST ${serviceUrl}/webhooks/whatsapp (${options.event}, ${body.length} bytes, signed, marked as a rehearsal)`, `answered ${res.status}`, accepted ? undefined : res.status === 401 ? 'Use the same WHATSAPP_APP_SECRET as the service.' : "Read the service's log.");
  if (!accepted) {
    out.result({ ok: false, status: res.status });
    return 1;
  }
  const wait = createWaiter({ stream: io.stderr, pollMs: io.pollMs ?? 500, quiet: out.json });
  // Dispatched as new events, or counted as a redelivery: a sample without an id (a quality
  // update) sent twice in one second is, by Meta's rule, the same event.
  const outcome = await wait('waiting for the service to dispatch it', options.wait * 1000, async () => {
    const fresh = (await api.events(100)).filter((e) => !before.has(e.id));
    if (fresh.length > 0) return { events: fresh, duplicate: false };
    return (await api.overview()).rehearsals.duplicates > duplicatesBefore ? { events: [], duplicate: true } : undefined;
  });
  if (!outcome) {
    out.mark('fail', 'The event was stored but not dispatched in time', undefined, "See GET /api/webhook for the backlog and the service's log.");
    out.result({ ok: false, status: res.status, events: [] });
    return 1;
  }
  const { events, duplicate } = outcome;
  if (duplicate) out.mark('pass', 'Stored, and recognised as a redelivery of an event already dispatched', 'not dispatched again');
  for (const event of events) describeEvent(out, event);
  out.result({ ok: true, status: res.status, events, duplicate });
  return 0;
}

function describeEvent(out: CommandContext['out'], event: WhatsAppEvent): void {
  const rehearsal = event.rehearsal ? ', a rehearsal: not in the counts' : '';
  out.mark('pass', `Dispatched: ${event.kind} ${event.type}`, `${event.field}, phone number id ${event.phoneNumberId ?? '-'}, event ${event.id}${rehearsal}`);
  for (const error of event.errors ?? []) {
    out.line(`    error ${error.code ?? '?'}: ${error.meaning} ${out.dim(`what to do: ${error.action}`)}`);
  }
}
