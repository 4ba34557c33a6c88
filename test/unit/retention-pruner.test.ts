import { Writable } from 'node:stream';
import pino from 'pino';
import { RetentionPruner, type RetentionTask } from '../../src/retention-pruner';

const NOW = new Date('2026-03-01T00:00:00.000Z');

function prunerOf(tasks: RetentionTask[], lines: string[]): RetentionPruner {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return new RetentionPruner({ tasks, clock: { now: () => NOW }, logger: pino({ level: 'info' }, destination) });
}

describe('RetentionPruner', () => {
  it('runs every task with the same now, one after the other', async () => {
    const order: string[] = [];
    const task = (name: string): RetentionTask => ({
      async prune(now) {
        order.push(`${name} starts at ${now.toISOString()}`);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`${name} ends`);
      },
    });
    await prunerOf([task('inbox'), task('codes')], []).runNow();

    expect(order).toEqual([`inbox starts at ${NOW.toISOString()}`, 'inbox ends', `codes starts at ${NOW.toISOString()}`, 'codes ends']);
  });

  it('gives the other tasks their turn when one fails, and logs the failure', async () => {
    const lines: string[] = [];
    const ran: string[] = [];
    const failing: RetentionTask = { prune: () => Promise.reject(new Error('the disk said no')) };
    const counting: RetentionTask = { prune: () => Promise.resolve(void ran.push('codes')) };
    await prunerOf([failing, counting], lines).runNow();

    expect(ran).toEqual(['codes']);
    expect(lines.some((l) => l.includes('retention pruning failed; will try again') && l.includes('the disk said no'))).toBe(true);
  });
});
