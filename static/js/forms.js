// Forms and messages, on every page.
// - A form shown again with its errors: the focus goes to the error summary, which lists each
//   error as a link to its field.
// - After an action (a save, a sent request…): the messages are put into a live region once
//   the page has loaded, so that screen readers announce them, and a success is focused.
// - window.portalAnnounce(text): what the page's scripts use to announce a change.
// Without JavaScript the summary and the messages are on the page all the same.
(function () {
  "use strict";

  var live = document.createElement("div");
  live.id = "portal-live";
  live.className = "fr-sr-only";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  live.setAttribute("aria-atomic", "true");
  document.body.appendChild(live);

  var pending = null;
  window.portalAnnounce = function (text) {
    // Emptied first, filled a moment later: the same sentence twice is announced twice.
    live.textContent = "";
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      live.textContent = text;
      pending = null;
    }, 150);
  };

  var summary = document.querySelector("[data-error-summary]");
  var messages = Array.prototype.slice.call(document.querySelectorAll("[data-message]"));
  if (summary) {
    summary.focus();
  } else {
    var success = document.querySelector('[data-message="success"]');
    if (success) { success.focus(); }
  }
  // Messages, and what a page marks to be told once loaded (the count of a service search).
  var told = messages.concat(Array.prototype.slice.call(document.querySelectorAll("[data-announce]")));
  if (told.length) {
    window.portalAnnounce(told.map(function (m) { return m.textContent.trim(); }).join(" "));
  }
})();
