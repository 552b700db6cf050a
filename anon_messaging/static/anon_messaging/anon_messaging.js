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
      var text = target.textContent.replace(/^\s*\S.*?(?=[0-9A-Z]{4}-)/, "").trim();
      navigator.clipboard.writeText(text).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied-text"); }
      });
    });
  });

  // Move focus to an error summary so screen readers announce it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
