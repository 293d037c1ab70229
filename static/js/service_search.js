// The column of services with JavaScript: a service search or another page of services is
// fetched and swapped in place (the page is not reloaded, the focus stays put) and its count
// is announced. The ticks travel with the form, as without JavaScript: the server draws the
// ticked services of earlier searches above the new list.
(function () {
  "use strict";

  var panel = document.querySelector("[data-services-panel]");
  if (!panel || !window.fetch || !window.DOMParser) { return; }
  var form = panel.closest("form");

  function announce(text) {
    if (window.portalAnnounce) { window.portalAnnounce(text); }
  }

  function refresh(name, value) {
    var data = new FormData(form);
    data.append(name, value);
    return fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("[data-services-results]");
        var current = panel.querySelector("[data-services-results]");
        if (!fresh || !current) { throw new Error("no services"); }
        current.replaceWith(document.importNode(fresh, true));
        var count = panel.querySelector("[data-services-count]");
        announce(count ? count.textContent.trim() : "");
        return count;
      });
  }

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || (submitter.name !== "search_services" && submitter.name !== "services_page")) {
      return;
    }
    event.preventDefault();
    var fromPager = submitter.name === "services_page";
    refresh(submitter.name, submitter.value).then(function (count) {
      // The pager's button is gone with the old list: the focus goes to the new count.
      if (fromPager && count) {
        count.setAttribute("tabindex", "-1");
        count.focus();
      }
    }).catch(function () {
      // Whatever went wrong, the plain form does the same work.
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = submitter.name;
      input.value = submitter.value;
      form.appendChild(input);
      form.submit();
    });
  });
})();
