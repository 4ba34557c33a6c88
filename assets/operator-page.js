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

  // The copy buttons are hidden in the markup: without this script (or a clipboard) they could not work.
  function showCopyButtons() {
    var buttons = checklist.querySelectorAll('button[data-copy]');
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = !(navigator.clipboard && navigator.clipboard.writeText);
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
    navigator.clipboard.writeText(button.getAttribute('data-copy')).then(
      function () {
        button.textContent = 'Copied';
      },
      function () {
        button.textContent = 'Copy failed: select the code';
      },
    );
    setTimeout(function () {
      button.textContent = 'Copy code';
    }, 3000);
  });

  showCopyButtons();
  setInterval(refreshTimes, 1000);
  if (!window.EventSource) return;

  setStatus('connecting', 'Connecting for live updates…');
  var source = new EventSource('/api/live');
  source.addEventListener('open', function () {
    setStatus('live', 'Live: changes appear as they happen.');
  });
  // A section the operator unfolded stays unfolded when the checklist is replaced.
  function unfolded() {
    var open = {};
    var sections = checklist.querySelectorAll('details[id]');
    for (var i = 0; i < sections.length; i++) open[sections[i].id] = sections[i].open;
    return open;
  }

  function refold(open) {
    var sections = checklist.querySelectorAll('details[id]');
    for (var i = 0; i < sections.length; i++) {
      if (Object.prototype.hasOwnProperty.call(open, sections[i].id)) sections[i].open = open[sections[i].id];
    }
  }

  source.addEventListener('checklist', function (event) {
    var before = latestCode();
    var open = unfolded();
    checklist.innerHTML = event.data;
    refold(open);
    showCopyButtons();
    refreshTimes();
    var after = latestCode();
    // Screen readers hear of a new code; digits are spaced so they are read one by one.
    if (announcer && after && after !== before) announcer.textContent = 'New code heard: ' + after.split('').join(' ');
  });
  source.addEventListener('error', function () {
    // CLOSED: the server refused the stream (the session ended); otherwise the browser retries.
    if (source.readyState === EventSource.CLOSED) setStatus('off', 'Live updates stopped: reload the page to sign in again.');
    else setStatus('connecting', 'Reconnecting…');
  });
})();
