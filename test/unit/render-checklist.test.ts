import { buildChecklist, RECENT_FAILURES_MS } from '../../src/page/checklist';
import { html, SafeHtml } from '../../src/page/html';
import type { PageSnapshot } from '../../src/page/page-snapshot';
import { renderChecklist } from '../../src/page/render-checklist';
import { timeAgo } from '../../src/page/time-ago';
import { explainError } from '../../src/whatsapp/explain-error';
import { ago, call, code, deadLetter, deadLetters, delivery, failure, HOUR, MINUTE, NOW, NUMBER, overview, PRODUCTION, settingsOf, snapshot, target } from '../helpers/page-fixtures';

// ---------------------------------------------------------------------------------------------
// Factories: a production install where nothing has happened yet, and the pieces to add to it
// (see test/helpers/page-fixtures.ts).
// ---------------------------------------------------------------------------------------------

const SECOND = 1000;
const DAY = 24 * HOUR;

const RECORDING_URL = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123';

/** The page's checklist for `snap`, as the HTML text sent to the browser. */
function render(snap: PageSnapshot): string {
  return renderChecklist(buildChecklist(snap, NOW), NOW).text;
}

const SCRIPT = '<script>alert(1)</script>';
const ESCAPED_SCRIPT = '&lt;script&gt;alert(1)&lt;/script&gt;';

// ---------------------------------------------------------------------------------------------

describe('renderChecklist escapes text from outside', () => {
  it('escapes a transcript heard on the call', () => {
    const out = render(snapshot({ latestCall: call({ heard: [SCRIPT] }) }));

    expect(out).not.toContain('<script>');
    expect(out).toContain(`“${ESCAPED_SCRIPT}”`);
  });

  it("escapes the caller's number", () => {
    const out = render(snapshot({ latestCall: call({ from: SCRIPT }) }));

    expect(out).not.toContain('<script>');
    expect(out).toContain(`A call from ${ESCAPED_SCRIPT} to ${NUMBER}.`);
  });

  it("escapes Meta's error title and details", () => {
    const error = explainError({ code: 131047, title: SCRIPT, error_data: { details: '<img src=x onerror=alert(2)>' } });
    const out = render(snapshot({ webhook: overview({}, { failures: [failure({ errors: [error] })] }) }));

    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).toContain(ESCAPED_SCRIPT);
    expect(out).toContain('&lt;img src=x onerror=alert(2)&gt;');
  });

  it('escapes a forward target and its last error', () => {
    // Not a URL: what is left of it once masked is the "host", markup included.
    const forwarding = [target({ target: `<b onclick=alert(1)>hooks</b>`, backlog: 1, lastError: '<b>HTTP 500</b>' })];
    const out = render(snapshot({ webhook: overview({}, { forwarding }) }));

    expect(out).not.toContain('<b');
    expect(out).toContain('<code id="forward-target-0">&lt;b onclick=alert(1)&gt;hooks&lt;/…[551f46]</code>');
    expect(out).toContain('Last error: &lt;b&gt;HTTP 500&lt;/b&gt;');
  });

  it("escapes a delivery's recipient and error", () => {
    const deliveries = [delivery({ to: SCRIPT, status: 'failed', error: '<i>550 mailbox unavailable</i>', sentAt: null })];
    const out = render(snapshot({ latestCode: code({ deliveries }) }));

    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<i>');
    expect(out).toContain(ESCAPED_SCRIPT);
    expect(out).toContain('&lt;i&gt;550 mailbox unavailable&lt;/i&gt;');
  });

  it('keeps a quote in a recording URL from leaving its attribute', () => {
    const out = render(snapshot({ latestCall: call({ recordingUrl: `https://api.twilio.com/"><script>alert(1)</script>` }) }));

    expect(out).not.toContain('<script>');
    expect(out).toContain(`href="https://api.twilio.com/&quot;&gt;${ESCAPED_SCRIPT}"`);
  });

  it('escapes a recording URL shown as text', () => {
    const out = render(snapshot({ latestCall: call({ recordingUrl: `https://x.example/"><script>alert(1)</script>` }) }));

    expect(out).not.toContain('<script>');
    expect(out).toContain(`<code>https://x.example/&quot;&gt;${ESCAPED_SCRIPT}</code>`);
  });
});

describe('renderChecklist items', () => {
  it('writes each item as an <li> with its state as data and in words', () => {
    const out = render(
      snapshot({
        latestCall: call({ recordingUrl: RECORDING_URL }),
        webhook: overview({}, { failures: [failure()] }),
      }),
    );
    const items = [...out.matchAll(/<li class="item" id="item-([a-z]+)" data-state="([a-z]+)"[^>]*>[\s\S]*?<span class="badge">([^<]*)<\/span>/g)].map(
      ([, id, state, words]) => [id, state, words],
    );

    expect(items).toEqual([
      ['configuration', 'done', 'Done'],
      ['call', 'done', 'Done'],
      ['code', 'attention', 'Needs attention'],
      ['webhook', 'waiting', 'Waiting'],
      ['events', 'waiting', 'Waiting'],
      ['forwarding', 'off', 'Off'],
      ['failures', 'attention', 'Needs attention'],
    ]);
  });

  it("shows each item's summary", () => {
    expect(render(snapshot())).toContain(`<p class="summary">No call yet. Meta will call ${NUMBER}.</p>`);
  });
});

describe('renderChecklist code', () => {
  it('puts the latest code in #latest-code, with a hidden copy button holding it', () => {
    const out = render(snapshot({ latestCode: code() }));

    expect(out).toMatch(/<p [^>]*id="latest-code"[^>]*>482916<\/p>/);
    expect(out).toMatch(/<button [^>]*data-copy="482916"[^>]*\bhidden\b[^>]*>/);
    expect(out).toContain('<p class="code-label" id="latest-code-label">Latest code</p>');
  });

  it('calls the code the previous one when a newer call has none', () => {
    const out = render(snapshot({ latestCode: code({ receivedAt: ago(HOUR) }), latestCall: call() }));

    expect(out).toContain('<p class="code-label" id="latest-code-label">Previous code</p>');
    expect(out).toMatch(/id="latest-code"[^>]*>482916</);
  });

  it('writes when the code was heard as a <time> the browser keeps current', () => {
    const receivedAt = ago(3 * MINUTE);
    const out = render(snapshot({ latestCode: code({ receivedAt }) }));

    expect(out).toContain(`<time datetime="${receivedAt}" title="${receivedAt}" data-relative>3 min ago</time>`);
  });

  it('links the recording of a call that ended without a code, opening it without a referrer', () => {
    const out = render(snapshot({ latestCall: call({ recordingUrl: RECORDING_URL }) }));

    expect(out).toContain(`<a href="${RECORDING_URL}" rel="noopener noreferrer" target="_blank">Listen to the recording</a>`);
  });

  it('says Twilio may ask for the account SID and auth token, beside the link', () => {
    const out = render(snapshot({ latestCall: call({ recordingUrl: RECORDING_URL }) }));

    expect(out).toContain('Listen to the recording</a> <small>(Twilio may ask for your account SID and auth token)</small>');
    expect(out).not.toContain('sign in there');
  });

  it('links a recording on the host of TWILIO_API_BASE_URL', () => {
    const settings = settingsOf({ ...PRODUCTION, TWILIO_API_BASE_URL: 'https://twilio-proxy.example.net' });
    const recordingUrl = 'https://twilio-proxy.example.net/2010-04-01/Accounts/AC1/Recordings/RE0123';
    const out = render(snapshot({ settings, latestCall: call({ recordingUrl }) }));

    expect(out).toContain(`<a href="${recordingUrl}" rel="noopener noreferrer" target="_blank">Listen to the recording</a>`);
  });

  it('shows a recording on a host that is not Twilio as text, not as a link', () => {
    const recordingUrl = 'https://recordings.example.com/RE0123';
    const out = render(snapshot({ latestCall: call({ recordingUrl }) }));

    expect(out).toContain(`<p>Recording: <code>${recordingUrl}</code> <small>(not a Twilio address)</small></p>`);
    expect(out).not.toContain('<a href');
    expect(out).not.toContain('Listen to the recording');
  });

  it('does not turn a recording address that is not http(s) into a link', () => {
    const out = render(snapshot({ latestCall: call({ recordingUrl: 'javascript:alert(1)' }) }));

    expect(out).not.toContain('javascript:');
    expect(out).not.toContain('Listen to the recording');
  });

  it('does not link the recording of a call that gave the code', () => {
    const latestCode = code();
    const latestCall = call({ callSid: latestCode.callSid, startedAt: ago(4 * MINUTE), codes: 1, recordingUrl: RECORDING_URL });
    const out = render(snapshot({ latestCall, latestCode }));

    expect(out).not.toContain(RECORDING_URL);
    expect(out).not.toContain('Listen to the recording');
  });

  it('shows a delivery being retried with its attempt and last error', () => {
    const deliveries = [delivery({ channel: 'sms', to: '+14155550199', status: 'pending', attempts: 2, error: 'HTTP 503', sentAt: null })];
    const out = render(snapshot({ latestCode: code({ deliveries }) }));

    expect(out).toContain('<span class="channel">SMS</span> to +14155550199: <strong>retrying (attempt 2)</strong><br><small class="error">HTTP 503</small>');
  });
});

describe('renderChecklist forwarding and failures', () => {
  const SLACK = 'https://hooks.slack.example/services/T0/B0/hook-LEAK';

  it("keeps a FORWARD_URL's secret path and query off the page: the configuration and the forwarding item", () => {
    const settings = settingsOf({ ...PRODUCTION, FORWARD_URL: `${SLACK}, https://in.example.com/?token=token-LEAK`, FORWARD_SECRET: 'f'.repeat(32) });
    const forwarding = [target({ target: SLACK }), target({ target: 'https://in.example.com/?token=token-LEAK' })];
    const out = render(snapshot({ settings, webhook: overview({}, { forwarding }) }));

    expect(out).not.toContain('LEAK');
    expect(out).toContain('<dt>Events forwarded to</dt><dd>https://hooks.slack.example/…[c49069], https://in.example.com/…[985ea0] <small>FORWARD_URL</small></dd>');
    expect(out).toContain('<li><code id="forward-target-0">https://hooks.slack.example/…[c49069]</code>');
    expect(out).toContain('<li><code id="forward-target-1">https://in.example.com/…[985ea0]</code>');
  });

  it('says whether FORWARD_SECRET is set in the configuration details', () => {
    const settings = settingsOf({ ...PRODUCTION, FORWARD_URL: SLACK, FORWARD_SECRET: 'f'.repeat(32) });

    expect(render(snapshot({ settings }))).toContain(
      '<div data-setting-state="set"><dt>Forwarded events signed with</dt><dd>set <small>FORWARD_SECRET</small></dd></div>',
    );
  });

  it('marks the failures item done for an old failure while still listing it', () => {
    const receivedAt = ago(RECENT_FAILURES_MS + HOUR);
    const out = render(snapshot({ webhook: overview({}, { failures: [failure({ receivedAt })] }) }));

    expect(out).toMatch(/<li class="item" id="item-failures" data-state="done"/);
    expect(out).toContain('<p class="summary">No failure in the last 24 hours.</p>');
    expect(out).toContain(`<ul class="failures"><li><p><strong>status failed</strong> <time datetime="${receivedAt}"`);
  });
});

describe('renderChecklist dead letters', () => {
  const NAME = 'https://hooks.example.com/…[85af3d]';
  const withLetters = (letters = deadLetters(), forwarding = [target()]) => render(snapshot({ webhook: overview({}, { forwarding }), deadLetters: [letters] }));

  it("lists a target's dead letters in words, the latest with their error and when, and a Replay form naming the target", () => {
    const latest = [deadLetter(), deadLetter({ eventId: 'message:wamid.older', status: 'expired', httpStatus: null, error: 'timed out after 30 s', givenUpAt: ago(HOUR) })];
    const out = withLetters(deadLetters({ rejected: 2, expired: 1, latest }));

    expect(out).toContain('<dt>Dead letters</dt><dd>2 rejected, 1 expired</dd>');
    expect(out).toContain(
      `<li data-status="rejected"><strong>rejected</strong> <code>${deadLetter().eventId}</code> <time datetime="${ago(3 * MINUTE)}" title="${ago(3 * MINUTE)}" data-relative>3 min ago</time><br><small class="error">the target answered HTTP 422</small></li>`,
    );
    expect(out).toContain('<li data-status="expired"><strong>expired</strong> <code>message:wamid.older</code>');
    expect(out).toContain('<small class="error">timed out after 30 s</small>');
    expect(out).toContain(`<code id="forward-target-0">${NAME}</code>`);
    expect(out).toContain(`<form method="post" action="replay" class="replay" data-replay>
<input type="hidden" name="target" value="${NAME}">
<button type="submit" aria-describedby="forward-target-0">Replay 3 dead letters</button>
</form>`);
    expect(out).toContain('<p class="meta">All of them: <code>wa-onboard events dead-letters</code>.</p>');
  });

  it('says none, and offers no Replay button, for a target without dead letters', () => {
    const out = render(snapshot({ webhook: overview({}, { forwarding: [target()] }) }));

    expect(out).toContain('<dt>Dead letters</dt><dd>none</dd>');
    expect(out).not.toContain('data-replay');
    expect(out).not.toContain('Latest dead letters');
  });

  it('offers no Replay for a target no longer in FORWARD_URL, saying how to get there', () => {
    const out = withLetters(deadLetters(), [target({ configured: false, backlog: 1 })]);

    expect(out).toContain('<dt>Dead letters</dt><dd>1 rejected</dd>');
    expect(out).not.toContain('data-replay');
    expect(out).toContain('Put it back in FORWARD_URL to replay them.');
  });

  it("escapes a dead letter's event id and error", () => {
    const out = withLetters(deadLetters({ latest: [deadLetter({ eventId: SCRIPT, error: `unreachable: ${SCRIPT}` })] }));

    expect(out).not.toContain('<script>');
    expect(out).toContain(`<code>${ESCAPED_SCRIPT}</code>`);
    expect(out).toContain(`<small class="error">unreachable: ${ESCAPED_SCRIPT}</small>`);
  });
});

describe('renderChecklist rehearsals', () => {
  it("lists a rehearsal's failed status under Rehearsals, marked, not in red, while the failures item stays done", () => {
    const rehearsed = failure({ eventId: 'rehearsal:status:wamid.x:failed', receivedAt: ago(MINUTE) });
    const rehearsals = { ...overview().rehearsals, posts: 1, events: 1, lastEventAt: ago(MINUTE), latest: [rehearsed] };
    const out = render(snapshot({ webhook: overview({}, { rehearsals }) }));

    expect(out).toMatch(/<li class="item" id="item-failures" data-state="done"/);
    expect(out).toContain('<h3>Rehearsals</h3>');
    expect(out).toContain('<ul class="rehearsals"><li data-rehearsal><strong>status failed</strong> (rehearsal)');
    expect(out).not.toMatch(/<ul class="rehearsals">.*class="error"/s);
    expect(out).toContain('<dt>Statuses</dt><dd>0</dd>');
  });

  it("shows wa-onboard doctor's check as a rehearsal beside Meta's verification, which stays never", () => {
    const rehearsals = { ...overview().rehearsals, lastVerifiedAt: ago(MINUTE) };
    const out = render(snapshot({ webhook: overview({}, { rehearsals }) }));

    expect(out).toContain('<dt>Last verified by Meta</dt><dd>never</dd>');
    expect(out).toMatch(/<dt>Last rehearsal<\/dt><dd><time [^>]+>[^<]+<\/time> <small>\(wa-onboard doctor, not Meta\)<\/small><\/dd>/);
  });

  it("marks a rehearsal's code as such beside the code, and says it is not for Meta", () => {
    const out = render(snapshot({ latestCode: code({ rehearsal: true }) }));

    expect(out).toContain('<p class="code-label" id="latest-code-label">Latest code (rehearsal)</p>');
    expect(out).toContain('A rehearsal&#39;s code (wa-onboard simulate call), not Meta&#39;s.');
    expect(out).toContain('on a rehearsal (wa-onboard simulate call): it is made up, not for Meta.');
  });
});

describe('renderChecklist call', () => {
  it('marks a rehearsal call as such', () => {
    expect(render(snapshot({ latestCall: call({ from: '+15555550100', rehearsal: true }) }))).toContain('<dd>+15555550100 (rehearsal)</dd>');
  });

  it('points out a call to another number than the one being registered', () => {
    expect(render(snapshot({ latestCall: call({ to: '+14155559999' }) }))).toContain(`<dd>+14155559999 (not ${NUMBER})</dd>`);
  });
});

describe('timeAgo', () => {
  it.each([
    { ago: '0 s', ms: 0, words: 'just now' },
    { ago: '4.9 s', ms: 4.9 * SECOND, words: 'just now' },
    { ago: '5 s', ms: 5 * SECOND, words: '5 s ago' },
    { ago: '59 s', ms: 59 * SECOND, words: '59 s ago' },
    { ago: '60 s', ms: MINUTE, words: '1 min ago' },
    { ago: '59 min 59 s', ms: 59 * MINUTE + 59 * SECOND, words: '59 min ago' },
    { ago: '60 min', ms: HOUR, words: '1 h ago' },
    { ago: '47 h 59 min', ms: 47 * HOUR + 59 * MINUTE, words: '47 h ago' },
    { ago: '48 h', ms: 48 * HOUR, words: '2 days ago' },
    { ago: '10 days 5 h', ms: 10 * DAY + 5 * HOUR, words: '10 days ago' },
  ])('says "$words" of a time $ago ago', ({ ms, words }) => {
    expect(timeAgo(ago(ms), NOW)).toBe(words);
  });

  it('says "just now" of a time a little ahead of the clock', () => {
    expect(timeAgo(new Date(NOW.getTime() + 30 * SECOND).toISOString(), NOW)).toBe('just now');
  });

  it('says "just now" of a time it cannot read', () => {
    expect(timeAgo('not a time', NOW)).toBe('just now');
  });
});

describe('html', () => {
  it('escapes & < > " and \' in values', () => {
    expect(html`<p title="${`"Tom" & 'Jerry'`}">${'<b>&</b>'}</p>`.text).toBe(
      '<p title="&quot;Tom&quot; &amp; &#39;Jerry&#39;">&lt;b&gt;&amp;&lt;/b&gt;</p>',
    );
  });

  it('leaves SafeHtml values as they are, so templates nest', () => {
    const inner = html`<b>${'a < b'}</b>`;

    expect(html`<p>${inner}${new SafeHtml('<br>')}</p>`.text).toBe('<p><b>a &lt; b</b><br></p>');
  });

  it('joins arrays, escaping each entry', () => {
    expect(html`<ul>${['x', '<y>'].map((item) => html`<li>${item}</li>`)}${['&']}</ul>`.text).toBe('<ul><li>x</li><li>&lt;y&gt;</li>&amp;</ul>');
  });

  it('renders null, undefined and false as nothing', () => {
    expect(html`[${null}|${undefined}|${false}]`.text).toBe('[||]');
  });

  it('renders numbers, zero included', () => {
    expect(html`${0} of ${1234}`.text).toBe('0 of 1234');
  });

  it('gives its text when used as a string', () => {
    expect(String(html`<i>${'&'}</i>`)).toBe('<i>&amp;</i>');
  });
});
