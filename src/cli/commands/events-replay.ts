import type { DeadLetterStatus } from '../../store/webhook-store';
import { targetName } from '../../whatsapp/target-name';
import { cliConfig, serviceApiFor, serviceUrlOf } from '../context';
import { createProgress } from '../progress';
import type { CommandContext } from './command-context';

export interface ReplayOptions {
  target?: string;
  /** Event ids (`--event`, repeated). */
  event?: string[];
  status?: DeadLetterStatus;
  url?: string;
}

/**
 * `wa-onboard events replay`: asks the running service to queue dead letters again (all of them,
 * or those of a target, a status, some events). The service sends each with its stored body and
 * Idempotency-Key; asked twice, it queues nothing more.
 */
export async function replayCommand({ env, out, io }: CommandContext, options: ReplayOptions): Promise<number> {
  const config = cliConfig(env);
  const api = serviceApiFor(config, options.url);
  const progress = createProgress({ stream: io.stderr, quiet: out.json });
  const request = { target: options.target, eventIds: options.event, status: options.status };
  const { queued } = await progress.during('queuing dead letters again', api.replay(request));
  const which = [options.status, options.target ? `of ${targetName(options.target)}` : null, options.event ? `among ${options.event.length} event${options.event.length === 1 ? '' : 's'} named` : null]
    .filter(Boolean)
    .join(' ');
  out.mark(
    'pass',
    queued === 0 ? `Nothing to replay${which ? ` ${which}` : ''}` : `Queued ${queued.toLocaleString('en-US')} dead letter${queued === 1 ? '' : 's'} again${which ? ` (${which})` : ''}`,
    queued === 0 ? 'no dead letter is waiting there (a replay already queued them, or none was given up)' : `${serviceUrlOf(config, options.url)} sends each with its stored body and Idempotency-Key, in lane order`,
  );
  if (queued > 0) out.line(out.dim('Those refused again come back: wa-onboard events dead-letters'));
  out.result({ ok: true, queued });
  return 0;
}
