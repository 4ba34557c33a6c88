import fs from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../src/cli/program';
import { SETTING_NAMES } from '../../src/config';
import { SAMPLE_EVENT_NAMES } from '../../src/embedded/sample-webhook-events';
import { STEP_NAMES } from '../../src/meta/onboarding';
import { LIVE_EVENT } from '../../src/page/live-updates';
import { allCommands, helpTree, type HelpCommand } from '../helpers/cli-help';
import { blocks, codeTexts, section, tableKeys, tableRow } from '../helpers/markdown';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const README = read('README.md');
const COMMAND_SECTION = section(README, '## The wa-onboard command');
/** The same, each run of white space one space: a sentence may wrap anywhere. */
const COMMAND_PROSE = COMMAND_SECTION.replace(/\s+/g, ' ');

describe('the settings: the schema, .env.example and the README list the same ones', () => {
  // Lines that set a value, and commented-out examples (`# KEY=`) if the file ever holds some.
  const inEnvExample = new Set([...read('.env.example').matchAll(/^(?:# ?)?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
  const inReadme = new Set(tableKeys(README, /^[A-Z][A-Z0-9_]+$/));
  const documented: Array<[string, Set<string | undefined>]> = [
    ['.env.example', inEnvExample],
    ["the README's configuration table", inReadme],
  ];

  it('reads the schema (a guard on this test itself)', () => {
    expect(SETTING_NAMES).toEqual(expect.arrayContaining(['NODE_ENV', 'PUBLIC_URL', 'DATABASE_URL', 'META_GRAPH_VERSION']) as unknown);
  });

  it.each(documented)('%s lists every setting of the schema', (_where, names) => {
    expect(SETTING_NAMES.filter((name) => !names.has(name))).toEqual([]);
  });

  it.each(documented)('%s lists no setting the schema does not read', (_where, names) => {
    expect([...names].filter((name) => !SETTING_NAMES.includes(name ?? ''))).toEqual([]);
  });
});

/** A command as the docs write it: `wa-onboard db copy --from DIR` gives words db, copy and flag --from. */
interface Mention {
  words: string[];
  flags: string[];
  where: string;
}

function mentionOf(rest: string, where: string): Mention {
  const words: string[] = [];
  for (const token of rest.trim().split(/\s+/)) {
    if (!/^[a-z][a-z-]*$/.test(token)) break;
    words.push(token);
  }
  return { words, flags: [...rest.matchAll(/(?<![\w-])--[a-z][\w-]*/g)].map((m) => m[0]), where: where.trim() };
}

/**
 * The command where it is run: `wa-onboard` first on a line or after `npx`, `;`, `&&` (not a compose
 * service's name in `docker compose exec wa-onboard …`), `npm run cli --`, or `dist/cli/main.js`.
 */
const COMMAND_LINE = /(?:(?<=^\s*|[;&|(]\s*|\bnpx\s+)wa-onboard|npm run cli --|dist\/cli\/main\.js) ([^#\n]*)/g;

/** The commands the README's code runs, and the bold headings of the command's section (**`db copy [--from DIR]`**). */
function commandMentions(): Mention[] {
  const mentions: Mention[] = [];
  for (const code of codeTexts(README)) {
    for (const line of code.split('\n')) {
      for (const m of line.matchAll(COMMAND_LINE)) mentions.push(mentionOf(m[1] ?? '', line));
    }
  }
  for (const heading of COMMAND_SECTION.matchAll(/^\*\*(.+?)\*\*/gm)) {
    for (const span of (heading[1] ?? '').matchAll(/`([^`]+)`/g)) mentions.push(mentionOf(span[1] ?? '', heading[0]));
  }
  return mentions.filter((mention) => mention.words.length > 0);
}

/** The command `words` name in the tree, or why they name none. */
function commandOf(root: HelpCommand, words: string[]): HelpCommand | string {
  let at = root;
  for (const word of words) {
    const next = at.children.find((child) => child.path.at(-1) === word);
    if (!next) return `wa-onboard ${[...at.path, word].join(' ')} is not in ${['wa-onboard', ...at.path, '--help'].join(' ')}`;
    at = next;
  }
  return at;
}

describe('the wa-onboard commands: the README and --help agree', () => {
  let root: HelpCommand;
  const mentions = commandMentions();
  beforeAll(async () => {
    root = await helpTree();
  });

  it('finds the commands in both (a guard on this test itself)', () => {
    expect(mentions.map((m) => m.words.join(' '))).toEqual(expect.arrayContaining(['doctor', 'meta verify', 'db copy']) as unknown);
    expect(allCommands(root).map((c) => c.path.join(' '))).toEqual(expect.arrayContaining(['doctor', 'meta verify', 'db copy']) as unknown);
  });

  it('every command the README names is in --help', () => {
    const unknown = mentions.map((m) => commandOf(root, m.words)).filter((found) => typeof found === 'string');
    expect(unknown).toEqual([]);
  });

  it('every option the README gives a command is in that command\'s --help', () => {
    const wrong = mentions.flatMap((m) => {
      const command = commandOf(root, m.words);
      if (typeof command === 'string') return [];
      const known = new Set([...command.options, ...root.options, '--help']);
      return m.flags.filter((flag) => !known.has(flag)).map((flag) => `${flag} is not an option of wa-onboard ${m.words.join(' ')} (in: ${m.where})`);
    });
    expect(wrong).toEqual([]);
  });

  it('the README names every command --help shows', () => {
    const named = new Set(mentions.map((m) => m.words.join(' ')));
    const leaves = allCommands(root).filter((c) => c.children.length === 0);
    expect(leaves.map((c) => c.path.join(' ')).filter((name) => !named.has(name))).toEqual([]);
  });

  it("the command's section names every option of every command", () => {
    const commands = [root, ...allCommands(root)];
    const missing = commands.flatMap((c) =>
      c.options.filter((option) => !new RegExp(`\`[^\`]*${option}(?![\\w-])`).test(COMMAND_SECTION)).map((o) => `${c.path.join(' ') || '(every command)'} ${o}`),
    );
    expect(missing).toEqual([]);
  });

  it('states the exit codes the command uses', () => {
    expect(COMMAND_PROSE).toContain(
      `exits ${EXIT.ok} only on success, ${EXIT.failed} when a check or step failed, ${EXIT.usage} on a usage error and ${EXIT.config} on settings`,
    );
  });

  it('lists the sample events simulate webhook sends', () => {
    const line = COMMAND_SECTION.split('\n').find((l) => l.includes('one sample event signed with the app secret')) ?? '';
    expect([...line.matchAll(/`([a-z-]+)`/g)].map((m) => m[1])).toEqual([...SAMPLE_EVENT_NAMES]);
  });

  it("lists meta verify's steps in their order", () => {
    expect(tableKeys(COMMAND_SECTION, /^[a-z]+(-[a-z]+)*$/)).toEqual([...STEP_NAMES]);
  });
});

describe('the npm scripts the docs name are the ones package.json has', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const named = (markdown: string) =>
    codeTexts(markdown).flatMap((code) => [...code.matchAll(/(?<![\w-])npm (?:run ([\w:-]+)|(start|test)\b)/g)].map((m) => m[1] ?? m[2] ?? ''));
  const inDocs = [...named(README), ...named(read('bench/README.md'))];

  it('every script the docs name exists', () => {
    expect(inDocs.filter((name) => !(name in scripts))).toEqual([]);
  });

  it('the docs name every script but prepare (npm runs it itself)', () => {
    expect(Object.keys(scripts).filter((name) => name !== 'prepare' && !inDocs.includes(name))).toEqual([]);
  });

  it('`npm start` runs the compiled dist/, and the README builds before it', () => {
    expect(scripts.start).toContain('dist/');
    const running = codeTexts(section(README, '## Running it'))[0] ?? '';
    expect(running.indexOf('npm run build')).toBeGreaterThan(-1);
    expect(running.indexOf('npm run build')).toBeLessThan(running.indexOf('npm start'));
  });
});

describe("the operator page's live stream", () => {
  it('the README names the events the stream sends and the page listens for', () => {
    const row = tableRow(README, '`GET /api/live`');
    expect([...row.matchAll(/`([a-z-]+)` events?\b/g)].map((m) => m[1])).toEqual([LIVE_EVENT]);
    expect(read('assets/operator-page.js')).toContain(`addEventListener('${LIVE_EVENT}'`);
  });
});

/** Whether `file` exists; a `*` in its last part stands for any characters (`test/unit/properties-*.test.ts`). */
function exists(file: string): boolean {
  if (!file.includes('*')) return fs.existsSync(path.join(ROOT, file));
  const dir = path.join(ROOT, path.dirname(file));
  const name = new RegExp(`^${path.basename(file).split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return fs.existsSync(dir) && fs.readdirSync(dir).some((entry) => name.test(entry));
}

describe('the files the docs name', () => {
  it.each(['README.md', 'bench/README.md', 'RELIABILITY.md'])('%s names only files and folders that exist', (doc) => {
    const named = [...read(doc).matchAll(/(?<![\w./-])((?:src|test|bench|docs|assets|twiml|scripts|\.ci)\/[\w.*/-]*)/g)];
    expect(named.map((m) => (m[1] ?? '').replace(/[.,]+$/, '')).filter((file) => !exists(file))).toEqual([]);
  });

  it('the map of the code names every folder of src/', () => {
    const map = section(README, '## Map of the code');
    const folders = fs.readdirSync(path.join(ROOT, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(folders.map((d) => `src/${d.name}/`).filter((folder) => !map.includes(folder))).toEqual([]);
  });
});

describe("the figures the README quotes are the benchmarks' latest", () => {
  // Each "### Results" of bench/README.md is the latest run of its bench; "what changed" is history.
  const results = [...read('bench/README.md').matchAll(/^### Results\n([\s\S]*?)(?=^#{1,3} )/gm)].map((m) => m[1]).join('\n');
  const FIGURE = /(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d+(?= ?ms\b))/g;
  const inResults = (figure: string) => new RegExp(`(?<![\\d.,])${figure.replace(/\./g, '\\.')}(?!\\d|[.,]\\d)`).test(results);

  it('finds the results (a guard on this test itself)', () => {
    expect(results).toContain('9,768');
  });

  it('every figure beside a mention of the benchmarks is in their results', () => {
    const quoted = blocks(README).filter((b) => /bench/.test(b.text + b.context));
    const stale = quoted.flatMap((b) => [...b.text.matchAll(FIGURE)].map((m) => m[1] ?? '').filter((f) => !inResults(f)).map((f) => `${f} (in: ${b.text.slice(0, 80)}…)`));
    expect(stale).toEqual([]);
  });
});
