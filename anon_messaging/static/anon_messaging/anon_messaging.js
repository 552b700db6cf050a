/* Progressive enhancements for reporter pages. Every page works without this file. */
(function () {
  "use strict";

  // Copy button beside a new code; without JavaScript the code is selectable text.
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      var status = document.querySelector("[data-copy-status]");
      // The code alone, without the "Your code is" prefix for screen readers: whatever its
      // length and grouping, it is the text of .am-code__value.
      var value = target.querySelector(".am-code__value") || target;
      var text = value.textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied-text"); }
      });
    });
  });

  // Quick exit. Without JavaScript the link is a plain link to the neutral site. With it,
  // the page is blanked at once (nobody nearby sees it while the other site loads) and
  // replaced in the history, so Back does not return to it; Escape pressed three times
  // within a few seconds does the same from anywhere on the page.
  var exitLink = document.querySelector("a[data-quick-exit]");
  if (exitLink) {
    var exitHint = document.querySelector("[data-quick-exit-hint]");
    var ESCAPES_NEEDED = 3;
    var ESCAPE_WINDOW_MS = 5000;
    var escapeTimes = [];
    var exiting = false;

    var quickExit = function () {
      exiting = true;
      document.body.hidden = true;
      document.title = "";
      window.location.replace(exitLink.href);
    };

    if (exitHint) { exitHint.hidden = false; }
    exitLink.addEventListener("click", function (event) {
      // Let the browser handle new-tab clicks; a plain click leaves at once.
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0) { return; }
      event.preventDefault();
      quickExit();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") { return; }
      // Holding the key down is one press, not three.
      if (event.repeat) { return; }
      var now = Date.now();
      escapeTimes = escapeTimes.filter(function (time) { return now - time < ESCAPE_WINDOW_MS; });
      escapeTimes.push(now);
      if (escapeTimes.length >= ESCAPES_NEEDED) {
        escapeTimes = [];
        quickExit();
      }
    });
    // A page restored from the back-forward cache after an exit stays blank and leaves again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && exiting) { quickExit(); }
    });
  }

  // Move focus to an error summary so screen readers announce it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
