import fs from 'node:fs';
import path from 'node:path';

/** This release's version, from package.json: one folder up from both src/ and dist/. */
export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
