import fs from 'node:fs';
import path from 'node:path';
import { shellQuote, startMain, until, type MainProcess } from '../helpers/main-process';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/** The service's terminal output as a person sees it: colours and the terminal's carriage returns taken out. */
// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');
const lines = (text: string) => plain(text).split('\n').filter((line) => line.trim() !== '');
const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

/** Runs the command on a pseudo-terminal: script(1), util-linux, makes one and runs the command on it. */
const onTerminal = (command: readonly string[]) => ['script', '-qfec', shellQuote(['exec', ...command]), '/dev/null'];

describe('the first start, as a person reads it', () => {
  let dir: string;
  let main: MainProcess | undefined;
  beforeEach(() => {
    dir = makeTempDir('wa-onboard-first-start-');
  });
  afterEach(async () => {
    main?.kill('SIGTERM');
    await main?.exited;
    main = undefined;
    removeTempDir(dir);
  });

  it('on a terminal, prints a plain-text block (mode, page, token file, URLs for Twilio and Meta, what production lacks), then readable lines', async () => {
    const data = path.join(dir, 'data');
    main = startMain({ env: { PORT: '0', DATA_DIR: data, TERM: 'xterm' }, cwd: dir, wrap: onTerminal });
    await until('the service listening', () => plain(main?.stdout() ?? '').includes('listening'));
    const out = plain(main.stdout());
    // The block is three paragraphs: the mode, the addresses, the notes; the log lines follow.
    const [header, rows, notes, ...rest] = out.split('\n\n');
    const file = path.join(data, 'local-secrets.json');

    expect(header).toMatch(/^wa-onboard \d+\.\d+\.\d+, local mode \(NODE_ENV is not production\)$/);
    expect(rows).toMatch(/^ {2}Operator page +http:\/\/127\.0\.0\.1:[1-9]\d*\/$/m);
    expect(rows).toContain(`Admin token    generated into ${file}`);
    expect(rows).toContain(`print it: node -p 'require("${file}").ADMIN_TOKEN'`);
    expect(rows).toMatch(/^ {2}Twilio +http:\/\/127\.0\.0\.1:\d+\/twilio\/voice$/m);
    expect(rows).toMatch(/^ {2}Meta +http:\/\/127\.0\.0\.1:\d+\/webhooks\/whatsapp$/m);
    expect(notes?.replace(/\s+/g, ' ')).toContain(
      "Twilio and Meta cannot reach 127.0.0.1: set PUBLIC_URL to this service's public https address. " +
        'Missing for production: PUBLIC_URL, ADMIN_TOKEN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER, ' +
        'WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET, NOTIFY_EMAIL_TO or NOTIFY_SMS_TO.',
    );
    const secrets = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    for (const value of Object.values(secrets)) expect(out).not.toContain(value);

    const logLines = lines(rest.join('\n\n'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter(isJson)).toEqual([]);
    expect(logLines.find((line) => line.includes('listening'))).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: listening/);
  });

  it('without a terminal, writes one JSON object per line and no block', async () => {
    main = startMain({ env: { PORT: '0', DATA_DIR: path.join(dir, 'data') }, cwd: dir });
    await until('the service listening', () => main?.stdout().includes('"msg":"listening') ?? false);
    expect(lines(main.stdout()).filter((line) => !isJson(line))).toEqual([]);
    expect(main.stdout()).not.toContain('Operator page');
  });

  it('with LOG_FORMAT=json, writes JSON lines on a terminal too', async () => {
    main = startMain({ env: { PORT: '0', DATA_DIR: path.join(dir, 'data'), LOG_FORMAT: 'json' }, cwd: dir, wrap: onTerminal });
    await until('the service listening', () => main?.stdout().includes('"msg":"listening') ?? false);
    expect(lines(main.stdout()).filter((line) => !isJson(line))).toEqual([]);
  });

  it('with LOG_FORMAT=pretty, prints the block and readable lines without a terminal', async () => {
    main = startMain({ env: { PORT: '0', DATA_DIR: path.join(dir, 'data'), LOG_FORMAT: 'pretty' }, cwd: dir });
    await until('the service listening', () => main?.stdout().includes('INFO') ?? false);
    expect(main.stdout()).toMatch(/^wa-onboard \d+\.\d+\.\d+, local mode/);
    expect(main.stdout()).toContain('Operator page');
    expect(lines(main.stdout()).filter(isJson)).toEqual([]);
  });
});
