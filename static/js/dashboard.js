// Staff dashboard: fill the answer from a template (the templates are also on the page without JS).
(function () {
  "use strict";
  var select = document.getElementById("answer-template");
  if (!select) return;
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var target = document.getElementById(select.getAttribute("data-fills"));
    if (!target || !option || !option.getAttribute("data-text")) return;
    if (target.value.trim() && !window.confirm(select.getAttribute("data-confirm") || "?")) return;
    target.value = option.getAttribute("data-text");
    target.focus();
  });
})();
