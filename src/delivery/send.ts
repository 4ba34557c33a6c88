import type { DeliveryJob } from '../store/call-store';
import { emailFor, smsFor } from './messages';
import type { Mailer, SmsSender } from './ports';

/** Sends one delivery on its channel: the email or the SMS its job describes. */
export async function sendDelivery(job: DeliveryJob, transports: { mailer: Mailer; sms: SmsSender }): Promise<void> {
  if (job.channel === 'email') await transports.mailer.send(emailFor(job));
  else await transports.sms.send(smsFor(job));
}
