import { targetName } from '../../whatsapp/target-name';
import { cliConfig, serviceApiFor } from '../context';
import { createProgress } from '../progress';
import { sinceAt, type Since } from '../since';
import type { CommandContext } from './command-context';

export interface BackfillOptions {
  target: string;
  since: Since;
  url?: string;
}

/**
 * `wa-onboard events backfill`: asks the running service to send a configured target every stored
 * event since a time that it has neither received nor is owed, in lane order.
 */
export async function backfillCommand({ env, out, io }: CommandContext, options: BackfillOptions): Promise<number> {
  const config = cliConfig(env);
  const api = serviceApiFor(config, options.url);
  const since = sinceAt(options.since, new Date()).toISOString();
  const progress = createProgress({ stream: io.stderr, quiet: out.json });
  const { queued } = await progress.during(`queuing the events since ${since}`, api.backfill({ target: options.target, since }));
  out.mark(
    'pass',
    queued === 0 ? `Nothing to backfill to ${targetName(options.target)}` : `Queued ${queued.toLocaleString('en-US')} event${queued === 1 ? '' : 's'} for ${targetName(options.target)}`,
    queued === 0 ? `it has received, or is owed, every event since ${since}` : `every stored event since ${since} it had not received, in the order they arrived`,
  );
  out.result({ ok: true, queued, since });
  return 0;
}
