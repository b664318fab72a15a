// Fills the regency/city and district selects from the regions API as the citizen chooses,
// instead of sending the form back to the server (which is how it works without JavaScript).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var location = document.getElementById("location");
  if (!location || !window.fetch) { return; }
  var url = location.getAttribute("data-regions-url");
  var province = document.getElementById("id_province");
  var regency = document.getElementById("id_regency");
  var district = document.getElementById("id_district");

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
    fill(district, "");
    fill(regency, province.value);
  });
  regency.addEventListener("change", function () { fill(district, regency.value); });
})();
