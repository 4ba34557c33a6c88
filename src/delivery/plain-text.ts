/**
 * Text from a caller (what Twilio heard on the call, the caller id they present) made fit to quote
 * in an email or an SMS: one line of plain text, short, that cannot pass for ours. Nothing in it
 * can start a header or a new line, hide itself (zero-width, bidirectional overrides), or close
 * the quotation marks it is shown in.
 */

/** How the team is told whose words these are. */
export const CALLER_WORDS_LABEL = 'The caller said (their words, not ours):';

/** At most this many characters of what was heard are quoted in an email, and in an SMS. */
export const CALLER_WORDS_MAX = { email: 200, sms: 80 } as const;

/**
 * One line, in at most `max` characters (code points): controls, line and paragraph separators and
 * invisible formatting become spaces, runs of space become one, a lone surrogate becomes U+FFFD, and
 * double quotes become single ones. Cut with an ellipsis when longer.
 */
export function oneLine(text: string, max: number): string {
  const flat = text
    .replace(/\p{Cs}/gu, '\uFFFD')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/["\u201C\u201D\u201E\u201F\u00AB\u00BB]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** What was heard, quoted and labelled as the caller's: `The caller said (their words, not ours): "…"`. */
export function callerWords(heard: string[], max: number): string | null {
  const words = oneLine(heard.join(' / '), max);
  return words === '' ? null : `${CALLER_WORDS_LABEL} "${words}"`;
}
