// My account with JavaScript: the fields open in small windows (DSFR modals)
// and the preferences save as they change. Without it, the same links lead to
// plain pages and the preferences have a Save button.
(function () {
  "use strict";

  document.querySelectorAll("[data-modal-link]").forEach(function (link) {
    var button = link.nextElementSibling;
    if (button && button.hasAttribute("data-modal-button")) {
      link.hidden = true;
      button.hidden = false;
    }
  });

  function post(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Portal-Fragment": "1" },
      credentials: "same-origin"
    });
  }

  document.querySelectorAll("form[data-modal-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      post(form).then(function (response) {
        if (response.status === 204) {
          window.location.reload();
          return null;
        }
        return response.text().then(function (html) {
          form.querySelector("[data-modal-fields]").innerHTML = html;
          // The window's error summary (it links to each field), else the field in error.
          var invalid = form.querySelector("[data-error-summary]") ||
            form.querySelector("[aria-invalid=true]");
          if (invalid) { invalid.focus(); }
        });
      });
    });
  });

  var preferences = document.querySelector("[data-preferences-form]");
  if (preferences) {
    var save = preferences.querySelector("[data-preferences-save]");
    var refresh = preferences.querySelector("[data-preferences-refresh]");
    var status = preferences.querySelector("[data-preferences-status]");
    save.hidden = true;
    preferences.addEventListener("change", function () {
      post(preferences).then(function (response) {
        if (response.status === 204) {
          refresh.hidden = false;
          status.textContent = refresh.textContent.trim();
        }
      });
    });
    preferences.querySelector("[data-refresh]").addEventListener("click", function () {
      window.location.reload();
    });
  }
})();
