/** The verbs and nouns the service's TwiML builders use: anything else got in from outside. */
const OUR_ELEMENTS = new Set(['Response', 'Say', 'Hangup', 'Gather', 'Redirect', 'Record', 'Start', 'Recording']);
/** Attributes that name a URL Twilio will fetch: they must all point back at the service. */
const URL_ATTRIBUTES = new Set(['action', 'transcribeCallback', 'recordingStatusCallback']);
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const NAME = /^[A-Za-z_][\w.-]*$/;
const ATTRIBUTE = /\s+([A-Za-z_][\w.-]*)="([^"<]*)"/y;
const ENTITY = /&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

/**
 * What is wrong with a TwiML answer, or nothing: it must be well-formed XML (one `<Response>`
 * root, tags that nest and close, attributes quoted, `&` only as an entity), use only our
 * elements, and send Twilio nowhere but `publicUrl/twilio/...`. A small checker rather than a
 * parser dependency: the builder's output is plain XML with no comments, CDATA or DTD.
 */
export function twimlProblems(xml: string, publicUrl: string): string[] {
  if (!xml.startsWith(DECLARATION)) return ['does not start with the XML declaration'];
  const problems: string[] = [];
  const open: string[] = [];
  let roots = 0;
  const ours = (url: string) => url.startsWith(`${publicUrl}/twilio/`);
  const text = (chunk: string) => {
    if (chunk.replace(ENTITY, '').includes('&')) problems.push(`a bare "&" in text: ${chunk.slice(0, 40)}`);
    if (chunk.includes('>') || chunk.includes(']]>')) problems.push(`an unescaped ">" in text: ${chunk.slice(0, 40)}`);
    if (open.length === 0 && chunk.trim() !== '') problems.push('text outside the root element');
    if (open[open.length - 1] === 'Redirect' && !ours(chunk.trim())) problems.push(`a Redirect to ${chunk.trim()}`);
  };
  let at = DECLARATION.length;
  while (at < xml.length) {
    const lt = xml.indexOf('<', at);
    text(xml.slice(at, lt < 0 ? xml.length : lt));
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) return [...problems, 'a tag that never ends'];
    if (open.length === 0 && xml[lt + 1] !== '/') roots++;
    const problem = tag(xml.slice(lt + 1, gt), open, { roots, ours });
    if (problem) problems.push(problem);
    at = gt + 1;
  }
  if (open.length > 0) problems.push(`unclosed elements: ${open.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

function tag(inner: string, open: string[], ctx: { roots: number; ours: (url: string) => boolean }): string | null {
  if (inner.startsWith('/')) {
    const name = inner.slice(1);
    return open.pop() === name ? null : `a closing </${name}> that closes nothing`;
  }
  const selfClosing = inner.endsWith('/');
  const body = selfClosing ? inner.slice(0, -1) : inner;
  const name = /^\S+/.exec(body)?.[0] ?? '';
  if (!NAME.test(name)) return `a malformed tag <${inner.slice(0, 40)}>`;
  const root = open.length === 0;
  // Opened even when it is not ours, so its closing tag is not reported as well.
  if (!selfClosing) open.push(name);
  if (!OUR_ELEMENTS.has(name)) return `an element we never write: <${name}>`;
  if (root && (ctx.roots > 1 || name !== 'Response')) return `a root element <${name}>`;
  const attributes = body.slice(name.length).trimEnd();
  ATTRIBUTE.lastIndex = 0;
  let consumed = 0;
  for (let m = ATTRIBUTE.exec(attributes); m; m = ATTRIBUTE.exec(attributes)) {
    consumed = ATTRIBUTE.lastIndex;
    const [, attr = '', value = ''] = m;
    if (value.replace(ENTITY, '').includes('&')) return `a bare "&" in ${name}@${attr}`;
    if (URL_ATTRIBUTES.has(attr) && !ctx.ours(value.replace(/&amp;/g, '&'))) return `${name}@${attr} points at ${value}`;
  }
  return consumed === attributes.length ? null : `malformed attributes in <${name}>`;
}
