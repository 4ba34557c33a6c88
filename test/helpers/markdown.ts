/** Just enough Markdown reading to hold the README to the code. */

/** The text from `heading` (a whole line, such as `## Quick start`) to the next heading of its level or above. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`no section "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  const rest = markdown.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, 'm').exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** Fenced blocks, then inline code spans of the text outside them: where commands and paths are written. */
export function codeTexts(markdown: string): string[] {
  const fenced = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '');
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
  return [...fenced, ...[...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '')];
}

/** The first cell of each table row whose first cell is one code span: `| \`NAME\` |` gives NAME. */
export function tableKeys(markdown: string, key: RegExp): string[] {
  return [...markdown.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? '').filter((name) => key.test(name));
}

/** The table row whose first cell starts with `start`. */
export function tableRow(markdown: string, start: string): string {
  const row = markdown.split('\n').find((line) => line.startsWith(`| ${start}`));
  if (!row) throw new Error(`no table row starting "${start}"`);
  return row;
}

/** A paragraph, a list item or a table row; a row's `context` is the paragraph that introduces its table. */
export interface Block {
  text: string;
  context: string;
}

/** The text in blocks: blank lines separate them, and so do the start of a list item and each table row. */
export function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  let before = '';
  for (const chunk of markdown.split(/\n\s*\n/)) {
    if (chunk.startsWith('|')) {
      out.push(...chunk.split('\n').map((row) => ({ text: row, context: before })));
    } else {
      out.push(...chunk.split(/\n(?=\s*[-*] |\s*\d+\. )/).map((text) => ({ text, context: '' })));
      before = chunk.startsWith('#') ? '' : chunk;
    }
  }
  return out;
}
