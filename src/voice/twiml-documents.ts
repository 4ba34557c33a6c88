import { DEFAULT_MAX_LISTENS, goodbyeTwiml, listenTwiml, recordTwiml, sorryTwiml, type CallPlan } from './twiml';

/** The placeholder the files in twiml/ carry where the service puts its PUBLIC_URL. */
export const PUBLIC_URL_PLACEHOLDER = '{{PUBLIC_URL}}';

/**
 * The TwiML documents of a verification call with the default plan, as files for twiml/: readable,
 * ready to paste into a TwiML Bin once `{{PUBLIC_URL}}` is replaced. Built by the same functions
 * the service answers with; a test fails when the files drift from them.
 */
export function twimlDocuments(): Record<string, string> {
  const plan: CallPlan = {
    publicUrl: PUBLIC_URL_PLACEHOLDER,
    codeLength: 6,
    language: 'en-US',
    maxListens: DEFAULT_MAX_LISTENS,
  };
  return {
    'voice.xml': pretty(listenTwiml(plan, 1)),
    'voice-last-listen.xml': pretty(listenTwiml(plan, plan.maxListens)),
    'record.xml': pretty(recordTwiml(plan)),
    'goodbye.xml': pretty(goodbyeTwiml()),
    'sorry.xml': pretty(sorryTwiml()),
  };
}

/** One element a line, indented by nesting, so the files read like TwiML Bins do. */
function pretty(xml: string): string {
  let depth = 0;
  const lines = xml.replace(/></g, '>\n<').split('\n');
  const indented = lines.map((line) => {
    if (line.startsWith('</')) depth--;
    const out = `${'  '.repeat(Math.max(0, depth))}${line}`;
    const opens = /^<[A-Za-z]/.test(line) && !line.endsWith('/>') && !line.includes('</');
    if (opens) depth++;
    return out;
  });
  return `${indented.join('\n')}\n`;
}
