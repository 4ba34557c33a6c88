import net from 'node:net';
import { DeliveryError } from '../../src/delivery/delivery-error';
import { createSmtpMailer } from '../../src/delivery/smtp-mailer';
import { startLocalSmtpServer } from '../../src/embedded/local-smtp-server';

describe('the SMTP mailer', () => {
  it('sends through a real SMTP server on loopback', async () => {
    const smtp = await startLocalSmtpServer();
    const mailer = createSmtpMailer({ url: smtp.url, from: 'wa-onboard <onboard@example.com>' });
    try {
      await mailer.send({ to: 'team@example.com', subject: 'Code: 123456', text: 'The code is 123456.' });
      const [email] = await smtp.waitFor(1);
      expect(email).toMatchObject({ from: 'onboard@example.com', to: ['team@example.com'], subject: 'Code: 123456', text: 'The code is 123456.\n' });
    } finally {
      mailer.close();
      await smtp.close();
    }
  });

  // nodemailer's own greeting timeout is 30 s, past this test's limit: passing means ours applied.
  it('gives up on a server that accepts and never greets, as a transient failure', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const mailer = createSmtpMailer({
      url: `smtp://127.0.0.1:${port}`,
      from: 'onboard@example.com',
      timeouts: { connectionMs: 300, greetingMs: 300, socketMs: 300 },
    });
    try {
      const failure = await mailer.send({ to: 'team@example.com', subject: 's', text: 't' }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(DeliveryError);
      expect((failure as DeliveryError).permanent).toBe(false);
      expect((failure as DeliveryError).message).toMatch(/could not be reached/);
    } finally {
      mailer.close();
      silent.close();
    }
  });

  it('records a refused recipient (550) as permanent', async () => {
    const { SMTPServer } = await import('smtp-server');
    const refusing = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (_address, _session, callback) => callback(Object.assign(new Error('5.1.1 user unknown'), { responseCode: 550 })),
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const { port } = refusing.server.address() as net.AddressInfo;
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${port}`, from: 'onboard@example.com' });
    try {
      const failure = (await mailer.send({ to: 'nobody@example.com', subject: 's', text: 't' }).catch((e: unknown) => e)) as DeliveryError;
      expect(failure.permanent).toBe(true);
      expect(failure.message).toMatch(/^the mail server refused the message: 550 /);
    } finally {
      mailer.close();
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });
});
