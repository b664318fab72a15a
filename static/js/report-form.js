// The report form, helped along where JavaScript runs (everything also works without it):
// - the regency/city, district and village selects fill in from the regions API as the citizen chooses,
//   instead of sending the form back to the server;
// - the files chosen are counted and weighed before they are sent, with the held files of an
//   earlier round (complaints.held_uploads), and the server's messages from data- attributes
//   (the server checks them again, and everything else about them);
// - a held file is removed from the form without sending it back.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var location = document.getElementById("location");
  if (!location || !window.fetch) { return; }
  var url = location.getAttribute("data-regions-url");
  var province = document.getElementById("id_province");
  var regency = document.getElementById("id_regency");
  var district = document.getElementById("id_district");
  var village = document.getElementById("id_village");

  function fill(select, parent) {
    var placeholder = select.options[0] ? select.options[0].text : "";
    select.length = 1;
    select.options[0].text = placeholder;
    if (!parent) { return Promise.resolve(); }
    select.disabled = true;
    return fetch(url + "?parent=" + encodeURIComponent(parent), { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (regions) {
        regions.forEach(function (region) { select.add(new Option(region.name, region.code)); });
      })
      .catch(function () { /* the no-JavaScript buttons still work */ })
      .then(function () { select.disabled = false; });
  }

  province.addEventListener("change", function () {
    fill(village, "");
    fill(district, "");
    fill(regency, province.value);
  });
  regency.addEventListener("change", function () {
    fill(village, "");
    fill(district, regency.value);
  });
  district.addEventListener("change", function () { fill(village, district.value); });
})();

(function () {
  "use strict";
  var input = document.getElementById("id_attachments");
  if (!input) { return; }
  var maxFiles = parseInt(input.getAttribute("data-max-files"), 10) || 0;
  var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
  var tooMany = input.getAttribute("data-too-many") || "";
  var tooLarge = input.getAttribute("data-too-large") || "";

  // Where the problems are shown, next to the input and named by its aria-describedby.
  var note = document.createElement("div");
  note.className = "error";
  note.id = input.id + "_check";
  note.setAttribute("aria-live", "polite");
  note.hidden = true;
  input.insertAdjacentElement("afterend", note);

  function describe(on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== note.id;
    });
    if (on) { ids.push(note.id); }
    if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); }
    else { input.removeAttribute("aria-describedby"); }
  }

  function heldCount() { return document.querySelectorAll("[data-held-file]").length; }

  function check() {
    var files = input.files || [];
    var problems = [];
    if (maxFiles && files.length && files.length + heldCount() > maxFiles) { problems.push(tooMany); }
    for (var i = 0; i < files.length; i++) {
      if (maxBytes && files[i].size > maxBytes) { problems.push(tooLarge.replace("{name}", files[i].name)); }
    }
    // The browser refuses to send the form while the input says why (and says it at the input).
    input.setCustomValidity(problems.join(" "));
    note.textContent = "";
    problems.forEach(function (problem) {
      var line = document.createElement("p");
      line.textContent = problem;
      note.appendChild(line);
    });
    note.hidden = problems.length === 0;
    describe(problems.length > 0);
  }

  input.addEventListener("change", check);

  // Without JavaScript, "Remove" sends the form back and the server deletes the held copy; here
  // the file leaves the form at once (its token with it) and the copy expires unused.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-held]");
    if (!button) { return; }
    event.preventDefault();
    var item = button.closest("[data-held-file]");
    var block = document.getElementById("held-files");
    if (item) { item.remove(); }
    if (block && !block.querySelector("[data-held-file]")) { block.hidden = true; }
    check();
    input.focus();
  });
})();
