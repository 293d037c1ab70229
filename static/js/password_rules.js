// Changing your password: the five rules tick themselves as the person types.
// Without JavaScript they stay a plain list and the server names each rule missed.
(function () {
  "use strict";
  var list = document.querySelector("[data-password-rules]");
  if (!list) { return; }
  var input = document.getElementById(list.getAttribute("data-for"));
  if (!input) { return; }
  var checks = {
    length: function (v) { return Array.from(v).length >= 12; },
    digit: function (v) { return /\p{Nd}/u.test(v); },
    lower: function (v) { return /\p{Ll}/u.test(v); },
    upper: function (v) { return /\p{Lu}/u.test(v); },
    special: function (v) { return /[\p{P}\p{S}\p{Z}]/u.test(v); }
  };
  var met = list.getAttribute("data-met");
  var unmet = list.getAttribute("data-unmet");
  list.classList.add("portal-rules--live");
  function update() {
    var value = input.value;
    list.querySelectorAll("[data-rule]").forEach(function (item) {
      var ok = checks[item.getAttribute("data-rule")](value);
      item.classList.toggle("portal-rule--met", ok);
      item.querySelector("[data-rule-state]").textContent = " (" + (ok ? met : unmet) + ")";
    });
  }
  input.addEventListener("input", update);
  update();
})();
