// A form that came back with errors: focus moves to its summary at the top, so a phone user
// sees what went wrong first; a link of the summary moves focus to the field it names (an
// anchor alone only scrolls), with its label in view.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.scrollIntoView({ block: "start" });
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    var box = field.closest(".field, fieldset") || field;
    box.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
})();
