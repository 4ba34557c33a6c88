// Writes twiml/ from the builders the service answers with: `npm run twiml`.
import fs from 'node:fs';
import path from 'node:path';
import { twimlDocuments } from '../src/voice/twiml-documents';

const dir = path.join(__dirname, '..', 'twiml');
fs.mkdirSync(dir, { recursive: true });
for (const [name, xml] of Object.entries(twimlDocuments())) {
  fs.writeFileSync(path.join(dir, name), xml);
  process.stdout.write(`wrote twiml/${name}\n`);
}
