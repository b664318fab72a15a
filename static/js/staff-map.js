// The staff report page's map (needs static/js/maps.js and Leaflet): the exact point the
// reporter shared, anonymous reports included (staff need it to act; the public sees only
// complaints.places.public_point). Without JavaScript the coordinates and the link stay.
(function () {
  "use strict";
  var box = document.getElementById("staff-map");
  if (!box || !window.L || !window.laporMaps) { return; }
  var lat = parseFloat(box.getAttribute("data-latitude"));
  var lng = parseFloat(box.getAttribute("data-longitude"));
  if (!isFinite(lat) || !isFinite(lng)) { box.remove(); return; }
  // The page scrolls past the map: the wheel zooms only once the map was clicked.
  var map = window.laporMaps.create(box, { scrollWheelZoom: "center" });
  map.scrollWheelZoom.disable();
  map.once("focus click", function () { map.scrollWheelZoom.enable(); });
  map.setView([lat, lng], 17);
  L.marker([lat, lng], {
    icon: window.laporMaps.icon(box),
    alt: box.getAttribute("data-pin") || "",
    keyboard: false
  }).addTo(map);
})();
