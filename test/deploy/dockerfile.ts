import fs from 'node:fs';

/**
 * A Dockerfile read as Docker reads it, for the instructions our recipe uses: comments and parser
 * directives dropped, backslash continuations joined, each stage's instructions kept in order.
 * Enough to run the recipe's steps outside a container (recipe-runner.ts), not a general parser:
 * an instruction it does not know is an error, so the recipe cannot outgrow its test unnoticed.
 */

export type Instruction =
  | { kind: 'WORKDIR'; path: string }
  | { kind: 'COPY'; from: string | null; sources: string[]; destination: string }
  | { kind: 'RUN'; command: string }
  | { kind: 'ENV'; values: Record<string, string> }
  | { kind: 'VOLUME'; paths: string[] }
  | { kind: 'USER'; user: string }
  | { kind: 'EXPOSE'; ports: string[] }
  | { kind: 'HEALTHCHECK'; options: Record<string, string>; command: string[] }
  | { kind: 'CMD'; command: string[] };

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

export function readDockerfile(file: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of logicalLines(fs.readFileSync(file, 'utf8'))) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/s.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [image = '', as, name] = rest.split(/\s+/);
      if (as?.toUpperCase() !== 'AS' || !name) throw new Error(`every stage must be named (FROM image AS name): ${line}`);
      stages.push({ name, image, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`an instruction before the first FROM: ${line}`);
    stage.instructions.push(instruction(upper, rest, line));
  }
  return stages;
}

/** Instructions as Docker sees them: one per line after joining `\` continuations; comments dropped. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const trimmed = raw.trim();
    // A comment line inside a continued instruction is dropped too, as Docker does.
    if (trimmed.startsWith('#') || (trimmed === '' && pending === '')) continue;
    if (trimmed.endsWith('\\')) {
      pending += trimmed.slice(0, -1) + ' ';
      continue;
    }
    lines.push((pending + trimmed).trim());
    pending = '';
  }
  if (pending.trim() !== '') lines.push(pending.trim());
  return lines;
}

function instruction(keyword: string, rest: string, line: string): Instruction {
  switch (keyword) {
    case 'WORKDIR':
      return { kind: 'WORKDIR', path: rest };
    case 'COPY':
      return copy(rest);
    case 'RUN':
      return { kind: 'RUN', command: rest };
    case 'ENV':
      return { kind: 'ENV', values: envPairs(rest, line) };
    case 'VOLUME':
      return { kind: 'VOLUME', paths: rest.startsWith('[') ? execForm(rest, line) : rest.split(/\s+/) };
    case 'USER':
      return { kind: 'USER', user: rest };
    case 'EXPOSE':
      return { kind: 'EXPOSE', ports: rest.split(/\s+/) };
    case 'HEALTHCHECK':
      return healthcheck(rest, line);
    case 'CMD':
      return { kind: 'CMD', command: execForm(rest, line) };
    default:
      throw new Error(`an instruction the recipe test cannot run outside a container: ${line}`);
  }
}

function copy(rest: string): Instruction {
  const words = rest.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() ?? '';
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
    else throw new Error(`a COPY flag the recipe test does not know: ${flag}`);
  }
  const destination = words.pop();
  if (!destination || words.length === 0) throw new Error(`COPY needs a source and a destination: COPY ${rest}`);
  return { kind: 'COPY', from, sources: words, destination };
}

/** `ENV A=1 B=2` (values unquoted, as ours are). */
function envPairs(rest: string, line: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of rest.split(/\s+/)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(pair);
    if (!match?.[1]) throw new Error(`ENV must be written KEY=value: ${line}`);
    values[match[1]] = match[2] ?? '';
  }
  return values;
}

function healthcheck(rest: string, line: string): Instruction {
  const options: Record<string, string> = {};
  const words = rest.split(/\s+/);
  while (words[0]?.startsWith('--')) {
    const [key = '', value = ''] = (words.shift() ?? '').slice(2).split('=');
    options[key] = value;
  }
  if (words.shift()?.toUpperCase() !== 'CMD') throw new Error(`HEALTHCHECK must run a CMD: ${line}`);
  return { kind: 'HEALTHCHECK', options, command: execForm(words.join(' '), line) };
}

/**
 * The JSON-array form (`["node", "dist/main.js"]`): the program runs without a shell, so it is
 * PID 1 and receives the SIGTERM of `docker stop` itself. The shell form is refused here.
 */
function execForm(text: string, line: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`must use the exec (JSON array) form, so no shell stands between Docker and node: ${line}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) {
    throw new Error(`must use the exec (JSON array) form: ${line}`);
  }
  return parsed;
}
