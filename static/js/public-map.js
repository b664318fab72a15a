// The public map (/peta/; needs static/js/maps.js, Leaflet and Leaflet.markercluster): the
// points of /peta/titik.json, with the page's own filters, in clusters that open as one zooms in;
// each point's popup names the report, its status and a link to its public page. The points are
// already coarsened by the server (complaints.places.public_point): nothing here makes them finer.
(function () {
  "use strict";
  var box = document.getElementById("public-map");
  var status = document.getElementById("public-map-status");
  if (!box || !window.L || !L.markerClusterGroup || !window.laporMaps || !window.fetch) { return; }
  var slot = box.closest("[data-points-url]");

  function text(name) { return slot.getAttribute("data-" + name) || ""; }

  function say(message) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(message));
  }

  var map = window.laporMaps.create(box, {}, function () { say(text("tiles-failed")); });
  map.fitBounds(window.laporMaps.INDONESIA);
  var pinIcon = window.laporMaps.icon(slot);
  var clusters = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
  map.addLayer(clusters);

  // Built from nodes, never from HTML: a title is the citizen's text.
  function popup(properties) {
    var content = document.createElement("div");
    content.className = "map-popup";
    var title = document.createElement("p");
    title.className = "map-popup-title";
    title.textContent = properties.title;
    var state = document.createElement("p");
    var badge = document.createElement("span");
    badge.className = "status status-" + String(properties.status).toLowerCase();
    badge.textContent = properties.status_label;
    state.appendChild(badge);
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = text("open");
    var open = document.createElement("p");
    open.appendChild(link);
    content.appendChild(title);
    content.appendChild(state);
    content.appendChild(open);
    return content;
  }

  fetch(slot.getAttribute("data-points-url"), { headers: { "Accept": "application/geo+json, application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (collection) {
      var markers = collection.features.map(function (feature) {
        var where = feature.geometry.coordinates;
        var marker = L.marker([where[1], where[0]], { icon: pinIcon, alt: feature.properties.title, title: feature.properties.title });
        marker.bindPopup(popup(feature.properties));
        return marker;
      });
      clusters.addLayers(markers);
      if (markers.length) {
        map.fitBounds(clusters.getBounds(), { maxZoom: 15, padding: [20, 20] });
      }
      box.setAttribute("data-loaded", String(markers.length));
    })
    .catch(function () { say(text("failed")); });
})();
