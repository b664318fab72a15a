// What the portal's maps share (the report form's, the public map's and the staff page's): a
// Leaflet map on the tile server of LAPOR_MAP_TILE_URL with the attribution its licence asks
// for, and the pin drawn from the portal's own copies of Leaflet's images. Both come from the
// data- attributes ({% map_attrs %}) of the map's element or of the element around it; the
// portal serves Leaflet itself (static/vendor/), so nothing is loaded from another site but
// the tiles.
(function () {
  "use strict";
  if (!window.L) { return; }

  // Indonesia, Sabang to Merauke, Miangas to Rote: where a map opens with nothing to show.
  var INDONESIA = [[-11.2, 94.8], [6.3, 141.1]];

  function settingsOf(element) { return element.closest("[data-tile-url]") || element; }

  function icon(element) {
    element = settingsOf(element);
    return L.icon({
      iconUrl: element.getAttribute("data-marker-icon"),
      iconRetinaUrl: element.getAttribute("data-marker-icon-2x"),
      shadowUrl: element.getAttribute("data-marker-shadow"),
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      tooltipAnchor: [16, -28],
      shadowSize: [41, 41]
    });
  }

  // A map in ``element``; ``onTileError`` is called once when the tiles cannot be loaded (the
  // map still works without them: a pin can be placed on the blank map).
  function create(element, options, onTileError) {
    var source = settingsOf(element);
    var map = L.map(element, options || {});
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    var failed = false;
    L.tileLayer(source.getAttribute("data-tile-url"), {
      attribution: source.getAttribute("data-attribution") || "",
      maxZoom: 19,
      // The page itself sends no Referer to other sites (a private link carries a secret in
      // its path); a tile server may ask for one, and gets the portal's origin only.
      referrerPolicy: "strict-origin"
    }).on("tileerror", function () {
      if (!failed && onTileError) { failed = true; onTileError(); }
    }).addTo(map);
    return map;
  }

  window.laporMaps = { INDONESIA: INDONESIA, icon: icon, create: create };
})();
