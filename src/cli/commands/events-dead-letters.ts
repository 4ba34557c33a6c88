import type { DeadLetterStatus } from '../../store/webhook-store';
import type { DeadLetterView } from '../../whatsapp/dead-letter-list';
import { cliConfig, serviceApiFor, serviceUrlOf } from '../context';
import type { Output } from '../output';
import { createProgress } from '../progress';
import type { CommandContext } from './command-context';

export interface DeadLettersOptions {
  target?: string;
  status?: DeadLetterStatus;
  /** The most to list, newest first (default 50). */
  limit: number;
  /** Every one, page after page. */
  all?: boolean;
  url?: string;
}

/** The API's largest page. */
const PAGE = 500;

/**
 * `wa-onboard events dead-letters`: the forwards given up (rejected or expired), newest first,
 * read from the running service a page at a time, as many as asked (`--limit`, or `--all`).
 */
export async function deadLettersCommand({ env, out, io }: CommandContext, options: DeadLettersOptions): Promise<number> {
  const config = cliConfig(env);
  const api = serviceApiFor(config, options.url);
  const progress = createProgress({ stream: io.stderr, quiet: out.json });
  const wanted = options.all ? Infinity : options.limit;
  const found: DeadLetterView[] = [];
  let before: string | undefined;
  let more: boolean;
  try {
    do {
      const page = await api.deadLetters({ target: options.target, status: options.status, limit: Math.min(PAGE, wanted - found.length), before });
      found.push(...page.deadLetters);
      before = page.next ?? undefined;
      more = page.next !== null;
      progress.note(`reading dead letters... ${found.length.toLocaleString('en-US')}`);
    } while (more && found.length < wanted);
  } finally {
    progress.done();
  }
  report(out, found, { more, serviceUrl: serviceUrlOf(config, options.url) });
  out.result({ ok: true, deadLetters: found, more });
  return 0;
}

function report(out: Output, found: DeadLetterView[], { more, serviceUrl }: { more: boolean; serviceUrl: string }): void {
  if (found.length === 0) {
    out.mark('pass', `No dead letters at ${serviceUrl}`, 'every forward was delivered or is still being tried');
    return;
  }
  for (const d of found) {
    const http = d.httpStatus === null ? 'no HTTP answer' : `HTTP ${d.httpStatus}`;
    out.line(`${out.strong(d.status)} ${d.eventId} to ${d.target}: ${http}${d.error ? `, ${d.error}` : ''}`);
    out.line(out.dim(`    given up ${d.givenUpAt} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}; received ${d.receivedAt}, lane ${d.lane}`));
  }
  const count = `${found.length.toLocaleString('en-US')} dead letter${found.length === 1 ? '' : 's'}, newest first`;
  out.mark('info', more ? `${count}; older ones too (--all, or a larger --limit)` : count, undefined, undefined);
  out.line(out.dim('Once a target is fixed: wa-onboard events replay --target URL'));
}
