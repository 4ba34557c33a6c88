import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Every variable the configuration schema reads: the keys of its zod object in src/config.ts. */
function schemaKeys(): string[] {
  const source = read('src/config.ts');
  const schema = source.slice(source.indexOf('const schema = z.object({'), source.indexOf('type Parsed'));
  return [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] ?? '');
}

describe('the settings are documented where operators look', () => {
  const keys = schemaKeys();

  it('finds the schema (a guard on this test itself)', () => {
    expect(keys).toEqual(expect.arrayContaining(['PUBLIC_URL', 'WHATSAPP_APP_SECRET', 'META_ACCESS_TOKEN', 'META_GRAPH_VERSION']) as unknown);
  });

  it('lists every setting in .env.example', () => {
    const documented = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(keys.filter((key) => !documented.has(key))).toEqual([]);
  });

  it("lists every setting in the README's configuration table", () => {
    const documented = new Set([...read('README.md').matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect(keys.filter((key) => !documented.has(key))).toEqual([]);
  });
});
