// The receipt's "Download the link" button: saves the tracking number and the private link as
// a small text file (its name and text come from the button's data attributes), made in the
// browser, so the link never travels again.
(function () {
  "use strict";
  document.querySelectorAll("[data-download]").forEach(function (button) {
    button.addEventListener("click", function () {
      var blob = new Blob([button.getAttribute("data-download-text")], {
        type: "text/plain;charset=utf-8"
      });
      var url = URL.createObjectURL(blob);
      var link = document.createElement("a");
      link.href = url;
      link.download = button.getAttribute("data-download");
      link.hidden = true;
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      button.textContent = button.getAttribute("data-downloaded");
    });
  });
})();
