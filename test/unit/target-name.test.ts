import { createHash } from 'node:crypto';
import { recordedTarget, targetName } from '../../src/whatsapp/target-name';

/** The id targetName gives a recorded target, computed here the way its doc says. */
const idOf = (recorded: string) => createHash('sha256').update(recorded).digest('hex').slice(0, 6);

describe('recordedTarget', () => {
  it('removes the user and password from a URL', () => {
    expect(recordedTarget('https://hook-user:s3cret@hooks.example.com/wa?x=1')).toBe('https://hooks.example.com/wa?x=1');
  });

  it('removes a user given without a password', () => {
    expect(recordedTarget('https://token@hooks.example.com/wa')).toBe('https://hooks.example.com/wa');
  });

  it('leaves a URL without credentials exactly as given', () => {
    expect(recordedTarget('https://hooks.example.com/wa')).toBe('https://hooks.example.com/wa');
  });

  it('leaves a target that is not a URL as it is', () => {
    expect(recordedTarget('in-process')).toBe('in-process');
  });

  it('removes the credentials of a URL that URL cannot read', () => {
    expect(recordedTarget('https://user:pw@host.example:99999/x')).toBe('https://host.example:99999/x');
  });
});

describe('targetName', () => {
  it.each([
    ['a Slack-style path', 'https://hooks.example/services/T0/B0/SECRET', 'https://hooks.example/…[7137de]'],
    ['a token in the query', 'https://hooks.example/?token=SECRET', 'https://hooks.example/…[5d4ddc]'],
    ['a path and a query', 'https://hooks.example/in?key=SECRET', 'https://hooks.example/…[c78d99]'],
    ['a port', 'http://127.0.0.1:9000/events', 'http://127.0.0.1:9000/…[e221a0]'],
    ['credentials', 'https://user:SECRET@hooks.example/', 'https://hooks.example'],
    ['nothing after the host', 'https://hooks.example', 'https://hooks.example'],
    ['only a slash after the host', 'https://hooks.example/', 'https://hooks.example'],
  ])('names a URL with %s by its origin, and a short id where a path or query was cut', (_what, target, named) => {
    expect(targetName(target)).toBe(named);
  });

  it.each([
    ['a port out of range', 'https://user:SECRET@hooks.example:99999/services/SECRET', 'https://hooks.example:99999/…[2828c3]'],
    ['no scheme', 'hooks.example/SECRET?token=SECRET', 'hooks.example/…[fd6d8f]'],
    ['nothing after the host', 'https://hooks.example:99999', 'https://hooks.example:99999'],
    ['no host at all', 'in-process', 'in-process'],
  ])('cuts everything after the host of a string URL cannot read, with %s', (_what, target, named) => {
    expect(targetName(target)).toBe(named);
  });

  it('keeps two targets on one origin apart', () => {
    const a = targetName('https://hooks.slack.example/services/T0/B0/first');
    const b = targetName('https://hooks.slack.example/services/T0/B0/second');
    expect(a).not.toBe(b);
    expect([a, b]).toEqual([expect.stringMatching(/^https:\/\/hooks\.slack\.example\/…\[[0-9a-f]{6}\]$/), expect.stringMatching(/\[[0-9a-f]{6}\]$/)]);
  });

  it('names a target the same with or without its credentials, so a password rotation keeps its series', () => {
    const recorded = 'https://hooks.example/in?key=SECRET';
    expect(targetName('https://user:old@hooks.example/in?key=SECRET')).toBe(targetName(recorded));
    expect(targetName(recorded)).toBe(`https://hooks.example/…[${idOf(recorded)}]`);
  });

  it('never shows a path, a query or credentials', () => {
    const named = targetName('https://hook-user:PASSWORD@hooks.example/services/PATHSECRET?token=QUERYSECRET');
    expect(named).not.toMatch(/PASSWORD|hook-user|PATHSECRET|QUERYSECRET|services|token/);
  });
});
