// Every page: the account menu (a <details> disclosure, usable without JavaScript)
// closes with Escape, giving the focus back to its button, and when the focus or a
// click goes elsewhere; a skip link whose target is hidden on this screen (the
// account menu on a narrow one) leads to the header's menu button instead.
(function () {
  "use strict";

  function openMenus() {
    return document.querySelectorAll("details.portal-account-menu[open]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    openMenus().forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });

  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });

  document.addEventListener("focusin", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });

  document.querySelectorAll("a[data-portal-skip-fallback]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.querySelector(link.getAttribute("href"));
      if (target && target.getClientRects().length) { return; }
      var fallback = document.getElementById(link.getAttribute("data-portal-skip-fallback"));
      if (fallback) {
        event.preventDefault();
        fallback.focus();
      }
    });
  });
})();
