// The operator page's only script: live updates over Server-Sent Events, the copy button, and
// times that keep counting. The page works without it (no live updates then). No build step:
// this file is served as it is, under a content security policy that allows no inline script.
'use strict';

(function () {
  var checklist = document.getElementById('checklist');
  var status = document.getElementById('live-status');
  var announcer = document.getElementById('announcer');
  if (!checklist || !status) return; // the sign-in page

  // Keep in step with src/page/time-ago.ts.
  function timeAgo(iso) {
    var seconds = Math.floor((Date.now() - Date.parse(iso)) / 1000);
    if (!isFinite(seconds) || seconds < 5) return 'just now';
    if (seconds < 60) return seconds + ' s ago';
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + ' min ago';
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + ' h ago';
    return Math.floor(hours / 24) + ' days ago';
  }

  function refreshTimes() {
    var times = checklist.querySelectorAll('time[data-relative]');
    for (var i = 0; i < times.length; i++) times[i].textContent = timeAgo(times[i].getAttribute('datetime'));
  }

  // What the last press of a copy button said, and until when. A live update can replace the
  // button a moment after the press (a delivery settles); the new button says the same.
  var copyFeedback = { value: null, text: '', until: 0 };

  // The copy buttons are hidden in the markup: without this script (or a clipboard) they could not
  // work. Called again after each live update, for the buttons it brought.
  function showCopyButtons() {
    var buttons = checklist.querySelectorAll('button[data-copy]');
    var feedbackHolds = Date.now() < copyFeedback.until;
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = !(navigator.clipboard && navigator.clipboard.writeText);
      var pressed = feedbackHolds && buttons[i].getAttribute('data-copy') === copyFeedback.value;
      buttons[i].textContent = pressed ? copyFeedback.text : 'Copy code';
    }
  }

  function showCopyFeedback(value, text) {
    copyFeedback = { value: value, text: text, until: Date.now() + 3000 };
    showCopyButtons();
    setTimeout(showCopyButtons, 3000);
  }

  function latestCode() {
    var code = document.getElementById('latest-code');
    return code ? code.textContent.trim() : '';
  }

  function setStatus(state, text) {
    status.setAttribute('data-live', state);
    status.textContent = text;
  }

  checklist.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-copy]');
    if (!button) return;
    var value = button.getAttribute('data-copy');
    navigator.clipboard.writeText(value).then(
      function () {
        showCopyFeedback(value, 'Copied');
      },
      function () {
        showCopyFeedback(value, 'Copy failed: select the code');
      },
    );
  });

  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  // The Replay button posts its form here, asking for JSON, and the page stays put: the live
  // stream replaces the Forwarding step once the dead letters are queued again. Without the
  // stream (or this script) the form posts as a form, and the page loads again.
  checklist.addEventListener('submit', function (event) {
    var form = event.target.closest('form[data-replay]');
    if (!form || !window.fetch || status.getAttribute('data-live') !== 'live') return;
    event.preventDefault();
    var button = form.querySelector('button');
    var label = button.textContent;
    button.disabled = true;
    button.textContent = 'Replaying…';
    fetch(form.getAttribute('action'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      body: new URLSearchParams(new FormData(form)),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.message || 'HTTP ' + response.status);
          return body;
        });
      })
      .then(
        function (body) {
          announce(body.queued === 1 ? '1 dead letter queued again.' : body.queued + ' dead letters queued again.');
          // Nothing queued (another replay got there first): the list changes by itself, if at all.
          button.disabled = false;
          button.textContent = label;
        },
        function (error) {
          announce('Replay failed: ' + error.message);
          button.disabled = false;
          button.textContent = 'Replay failed: try again';
        },
      );
  });

  showCopyButtons();
  setInterval(refreshTimes, 1000);
  if (!window.EventSource) return;

  // Replaces one item with its new rendering; the rest of the page, and whatever has focus or a
  // selection there, stays as it is. A section the operator unfolded stays unfolded.
  function replaceItem(html) {
    var template = document.createElement('template');
    template.innerHTML = html;
    var fresh = template.content.firstElementChild;
    if (!fresh || !fresh.id) return;
    var current = document.getElementById(fresh.id);
    if (!current) return;
    var sections = current.querySelectorAll('details[id]');
    for (var i = 0; i < sections.length; i++) {
      var again = fresh.querySelector('details[id="' + sections[i].id + '"]');
      if (again) again.open = sections[i].open;
    }
    current.replaceWith(fresh);
  }

  var source = null;
  var retryMs = 2000;

  function connect() {
    setStatus('connecting', 'Connecting for live updates…');
    source = new EventSource('api/live');
    source.addEventListener('open', function () {
      retryMs = 2000;
      setStatus('live', 'Live: changes appear as they happen.');
    });
    source.addEventListener('item', function (event) {
      var before = latestCode();
      replaceItem(event.data);
      showCopyButtons();
      refreshTimes();
      var after = latestCode();
      // Screen readers hear of a new code; digits are spaced so they are read one by one.
      if (announcer && after && after !== before) announcer.textContent = 'New code heard: ' + after.split('').join(' ');
    });
    source.addEventListener('error', function () {
      // Not CLOSED: the browser retries by itself. CLOSED: the answer was not a stream (the
      // session ended, or a proxy answered 502 during a deploy), and the browser gave up.
      if (source.readyState !== EventSource.CLOSED) {
        setStatus('connecting', 'Reconnecting…');
        return;
      }
      source.close();
      whyClosed();
    });
  }

  // Asks the API whether the session still holds: only a 401 means signing in again.
  function whyClosed() {
    fetch('api/codes?limit=1', { credentials: 'same-origin', cache: 'no-store' }).then(
      function (response) {
        if (response.status === 401) {
          setStatus('off', 'Signed out: reload the page to sign in again.');
          return;
        }
        retryLater();
      },
      retryLater,
    );
  }

  function retryLater() {
    setStatus('connecting', 'The service does not answer; trying again in ' + Math.round(retryMs / 1000) + ' s…');
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  }

  connect();
})();
