// "Manage my authorizations": with JavaScript, lines are added, modified and
// deleted in place; only Submit posts the table. Without it, every button
// posts the table and the server stages the change (same result).
(function () {
  "use strict";
  var form = document.querySelector("[data-profiles-form]");
  if (!form) { return; }
  var body = form.querySelector("[data-profiles-body]");
  var addApplication = form.querySelector("[data-add-application]");
  var addLevel = form.querySelector("[data-add-level]");
  var template = document.getElementById("level-select-template");
  var labels = {
    modify: form.getAttribute("data-label-modify"),
    remove: form.getAttribute("data-label-delete"),
    level: form.getAttribute("data-label-level")
  };
  var counter = 0;

  // Every change of the table is announced (static/js/forms.js owns the live region).
  function say(kind, profile) {
    var text = form.getAttribute("data-said-" + kind) || "";
    if (window.portalAnnounce && text) {
      window.portalAnnounce(text.replace("{profile}", profile || ""));
    }
  }

  function profileOf(row, level) {
    return applicationLabel(row) + " – " + level;
  }

  function selectedText(select) {
    var option = select.options[select.selectedIndex];
    return option ? option.textContent.trim() : "";
  }

  function applicationLabel(row) {
    return row.querySelector("td").firstChild.textContent.trim();
  }

  function levelSelect(row, value) {
    var select = template.content.firstElementChild.cloneNode(true);
    counter += 1;
    select.id = "level-js-" + counter;
    select.value = value;
    select.setAttribute("aria-label", labels.level + " " + applicationLabel(row));
    return select;
  }

  function editLine(row) {
    var input = row.querySelector("[data-level-input]");
    var text = row.querySelector("[data-level-text]");
    if (!input) { return; }
    var select = levelSelect(row, input.value);
    input.parentNode.replaceChild(select, input);
    if (text) { text.remove(); }
    var edit = row.querySelector("[data-edit-line]");
    if (edit) { edit.remove(); }
    select.focus();
  }

  function restoreOption(value, label) {
    var option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    addApplication.appendChild(option);
  }

  function levelOf(row) {
    var select = row.querySelector("select");
    if (select) { return selectedText(select); }
    var text = row.querySelector("[data-level-text]");
    return text ? text.textContent.trim() : "";
  }

  function deleteLine(row) {
    say("removed", profileOf(row, levelOf(row)));
    var value = row.querySelector("input[name=line_application]").value;
    restoreOption(value, applicationLabel(row));
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    var target = next && next.querySelector("[data-delete-line]");
    (target || addApplication).focus();
  }

  function button(kind, text, icon) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "fr-btn fr-btn--tertiary-no-outline fr-btn--sm " + icon;
    b.title = text;
    b.textContent = text;
    b.setAttribute(kind, "");
    return b;
  }

  function addLine() {
    var option = addApplication.options[addApplication.selectedIndex];
    if (!option) { return; }
    var empty = body.querySelector("[data-empty-row]");
    if (empty) { empty.remove(); }
    var row = document.createElement("tr");
    row.setAttribute("data-profile-line", "");
    var app = document.createElement("td");
    app.textContent = option.textContent;
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "line_application";
    hidden.value = option.value;
    app.appendChild(hidden);
    var level = document.createElement("td");
    var actions = document.createElement("td");
    actions.className = "portal-actions";
    // Each cell carries its column's name, shown above it when rows stack (narrow screens).
    var heads = form.querySelectorAll("thead th");
    [app, level, actions].forEach(function (cell, index) {
      if (heads[index]) { cell.setAttribute("data-label", heads[index].textContent.trim()); }
      row.appendChild(cell);
    });
    level.appendChild(levelSelect(row, addLevel.value));
    actions.appendChild(button("data-delete-line", labels.remove + " " + option.textContent,
                               "fr-icon-close-line"));
    body.appendChild(row);
    option.remove();
    addApplication.focus();
    say("added", profileOf(row, selectedText(addLevel)));
  }

  body.addEventListener("change", function (event) {
    var select = event.target;
    if (select.tagName !== "SELECT") { return; }
    say("changed", profileOf(select.closest("[data-profile-line]"), selectedText(select)));
  });

  form.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) { return; }
    var row = target.closest("[data-profile-line]");
    if (target.hasAttribute("data-edit-line")) {
      event.preventDefault();
      editLine(row);
    } else if (target.hasAttribute("data-delete-line")) {
      event.preventDefault();
      deleteLine(row);
    } else if (target.hasAttribute("data-add-line")) {
      event.preventDefault();
      addLine();
    } else if (target.hasAttribute("data-remove-all")) {
      event.preventDefault();
      Array.prototype.slice.call(body.querySelectorAll("[data-profile-line]")).forEach(function (r) {
        restoreOption(r.querySelector("input[name=line_application]").value, applicationLabel(r));
        r.remove();
      });
      addApplication.focus();
      say("removed-all");
    }
  });
})();
