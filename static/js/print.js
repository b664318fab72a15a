// A "Print" button (data-print) prints the page; the print stylesheet leaves out the site's
// navigation and whatever is marked no-print (a script file: the CSP allows no inline one).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
