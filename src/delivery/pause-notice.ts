import type { DeliveryJob } from '../store/call-store';
import { oneLine } from './plain-text';
import type { OutgoingEmail, OutgoingSms } from './ports';

/**
 * The notice that call forwarding paused (issue 16): the call it comes with was the first held
 * back over CALL_FORWARD_LIMIT, and no such notice went out in the hour before it. It is never
 * marked as a rehearsal: whatever the call that tipped it, the pause is real.
 */

export function pauseEmail(job: DeliveryJob): OutgoingEmail {
  const to = oneLine(job.call.to, 40);
  return {
    to: job.recipient,
    subject: `Call forwarding paused for ${to}: over the hourly limit`,
    text: [
      `More calls came to ${to} in the last hour than CALL_FORWARD_LIMIT lets through, so the codes`,
      'and "no code heard" notices of further calls are not emailed or texted. This is the only',
      'notice of it this hour.',
      '',
      'Calls are still answered and stored. Each is on the operator page as "not forwarded: over the',
      'hourly limit", with any code heard, and GET /api/codes lists their codes. Forwarding resumes by',
      'itself once fewer than CALL_FORWARD_LIMIT calls were forwarded in the past hour.',
      '',
      `The call that reached the limit came from ${oneLine(job.call.from, 40)} at ${job.createdAt.toISOString()}.`,
      '',
      'Anyone can phone the number. If you are waiting for Meta\'s call, read its code on the operator',
      'page. If these calls are not Meta\'s, CALLERS_ALLOWED keeps other callers out.',
    ].join('\n'),
  };
}

export function pauseSms(job: DeliveryJob): OutgoingSms {
  const to = oneLine(job.call.to, 40);
  return {
    to: job.recipient,
    body: `Call forwarding paused for ${to}: more calls in the last hour than CALL_FORWARD_LIMIT. Calls are still answered and stored; their codes are on the operator page.`,
  };
}
