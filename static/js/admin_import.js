// The structure import's progress: asks the server every two seconds and shows
// the percentage; once the work is done it says so and offers the report (the page
// never changes by itself).
(function () {
  "use strict";
  const box = document.getElementById("import-progress");
  if (!box) {
    return;
  }
  const url = box.dataset.progressUrl;
  const bar = box.querySelector("progress");
  const percent = box.querySelector("[data-percent]");
  const lines = box.querySelector("[data-lines]");
  const format = new Intl.NumberFormat(document.documentElement.lang || "fr");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (state) {
        if (!state) {
          return;
        }
        if (!state.running) {
          bar.value = 100;
          bar.textContent = "100 %";
          box.querySelector("[role=status]").textContent = box.dataset.doneText;
          return;
        }
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        percent.textContent = state.percent;
        lines.textContent = format.format(state.lines);
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 2000);
})();
