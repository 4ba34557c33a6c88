import type twilio from 'twilio';
import { classifyTwilioError } from './classify-twilio-error';
import type { OutgoingSms, SmsSender } from './ports';

/** Sends through Twilio's Messages API, from a number or a Messaging Service (`MG...`). */
export function createTwilioSmsSender(client: ReturnType<typeof twilio>, from: string): SmsSender {
  const sender = from.startsWith('MG') ? { messagingServiceSid: from } : { from };
  return {
    async send(sms: OutgoingSms) {
      try {
        await client.messages.create({ ...sender, to: sms.to, body: sms.body });
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
  };
}
